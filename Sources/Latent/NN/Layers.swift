import LatentCompute

/// A module applied to one tensor.
public protocol UnaryLayer: Module {
    func callAsFunction(_ x: Tensor) throws -> Tensor
}

/// y = x·Wᵀ + b over the last axis; weight [out, in] (PyTorch's layout and default initialisation).
public final class Linear: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initializer: ParameterInitializer) throws {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = try initializer.uniform([outFeatures, inFeatures], bound: bound)
        self.bias = bias ? try initializer.uniform([outFeatures], bound: bound) : nil
    }

    /// A layer over given parameters (weight [out, in], bias [out]), for initialisations other than PyTorch's default.
    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    public override var localParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try callAsFunction(x, adding: nil) }

    /// adding + (x·Wᵀ + b), `adding` broadcast to the output [rows, out] of a 2-D x (a residual,
    /// or an embedding summed in); the bias and `adding` ride in the product's epilogue when
    /// nothing is recorded.
    public func callAsFunction(_ x: Tensor, adding residual: Tensor?) throws -> Tensor {
        guard x.shape.last == weight.shape[1] else {
            throw ComputeError.shapeMismatch("Linear(\(weight.shape[1]) → \(weight.shape[0])) applied to \(x.shape)")
        }
        guard residual == nil || x.rank == 2 else {
            throw ComputeError.shapeMismatch("Linear with an addend takes [rows, \(weight.shape[1])], got \(x.shape)")
        }
        let y = try x.reshaped([-1, weight.shape[1]]).matmul(weight, transposeOther: true, bias: bias, residual: residual)
        return try y.reshaped(Array(x.shape.dropLast()) + [weight.shape[0]])
    }
}

/// 2-D convolution, weight [out, in/groups, k, k].
public final class Conv2d: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, bias: Bool = true, initializer: ParameterInitializer
    ) throws {
        let bound = 1 / Float(inChannels / groups * kernelSize * kernelSize).squareRoot()
        weight = try initializer.uniform([outChannels, inChannels / groups, kernelSize, kernelSize], bound: bound)
        self.bias = bias ? try initializer.uniform([outChannels], bound: bound) : nil
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// A layer over given parameters (weight [out, in/groups, k, k], bias [out]), for other initialisations.
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.weight = weight
        self.bias = bias
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    public override var localParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// adding + conv(x), `adding` broadcast to the output (a residual, or a per-channel addend
    /// [N, O, 1, 1]); one kernel with the convolution when nothing is recorded.
    public func callAsFunction(_ x: Tensor, adding addend: Tensor?) throws -> Tensor {
        try x.conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups, adding: addend)
    }
}

/// Transposed 2-D convolution, weight [in, out, k, k].
public final class ConvTranspose2d: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, outputPadding: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, bias: Bool = true, initializer: ParameterInitializer
    ) throws {
        // PyTorch computes fan-in from weight.size(1)·k·k, i.e. the output channels.
        let bound = 1 / Float(outChannels * kernelSize * kernelSize).squareRoot()
        weight = try initializer.uniform([inChannels, outChannels, kernelSize, kernelSize], bound: bound)
        self.bias = bias ? try initializer.uniform([outChannels], bound: bound) : nil
        (self.stride, self.padding, self.outputPadding) = (stride, padding, outputPadding)
    }

    public override var localParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.convTranspose2d(weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
    }
}

public final class GroupNorm: Module, UnaryLayer {
    public let groups: Int
    public let epsilon: Float
    public let weight: Tensor
    public let bias: Tensor

    public init(groups: Int, channels: Int, epsilon: Float = 1e-5, initializer: ParameterInitializer) throws {
        self.groups = groups
        self.epsilon = epsilon
        weight = try initializer.constant([channels], 1)
        bias = try initializer.constant([channels], 0)
    }

    public override var localParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.groupNorm(groups: groups, gamma: weight, beta: bias, epsilon: epsilon)
    }

    /// silu(self(x)), fused into one kernel when no gradient is recorded (sampling).
    public func silu(_ x: Tensor) throws -> Tensor {
        try x.groupNormSiLU(groups: groups, gamma: weight, beta: bias, epsilon: epsilon)
    }
}

public final class LayerNorm: Module, UnaryLayer {
    public let epsilon: Float
    public let weight: Tensor
    public let bias: Tensor

    public init(_ features: Int, epsilon: Float = 1e-5, initializer: ParameterInitializer) throws {
        self.epsilon = epsilon
        weight = try initializer.constant([features], 1)
        bias = try initializer.constant([features], 0)
    }

    public override var localParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.layerNorm(gamma: weight, beta: bias, epsilon: epsilon)
    }
}

/// A lookup table: Int32 indices [...] → [..., dim]; weight N(0, 1) like PyTorch.
public final class Embedding: Module, UnaryLayer {
    public let weight: Tensor

    public init(_ count: Int, _ dimension: Int, initializer: ParameterInitializer) throws {
        weight = try initializer.normal([count, dimension])
    }

    /// A table over a given weight [count, dim].
    public init(weight: Tensor) { self.weight = weight }

    public override var localParameters: [(String, Tensor)] { [("weight", weight)] }

    public func callAsFunction(_ indices: Tensor) throws -> Tensor { try weight.gather(indices) }
}

/// Inverted dropout drawing its masks from a shared noise stream; identity in eval mode.
public final class Dropout: Module, UnaryLayer {
    public let probability: Float
    public let noise: NoiseStream

    public init(_ probability: Float, noise: NoiseStream) {
        self.probability = probability
        self.noise = noise
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard training, probability > 0 else { return x }
        return try x.dropout(probability: probability, seed: noise.seed, offset: noise.takeRows(x.shape[0], perRow: x.count / max(x.shape[0], 1)))
    }
}

/// An elementwise activation as a layer (ReLU, SiLU, GELU, Tanh, Sigmoid).
public final class Activation: Module, UnaryLayer {
    public let op: UnaryOp
    public init(_ op: UnaryOp) { self.op = op }
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.apply(op) }
}

/// Layers applied in order, named "0", "1", ... like PyTorch's `nn.Sequential`.
public final class Sequential: Module, UnaryLayer {
    public let layers: [any UnaryLayer]

    public init(_ layers: [any UnaryLayer]) { self.layers = layers }

    public override var children: [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try layers.reduce(x) { try $1($0) }
    }
}

/// Multi-head self-attention over [N, L, E] with PyTorch `nn.MultiheadAttention` parameter names
/// (in_proj_weight [3E, E], in_proj_bias, out_proj.weight, out_proj.bias).
public final class MultiheadSelfAttention: Module, UnaryLayer {
    public let heads: Int
    public let inProjectionWeight: Tensor
    public let inProjectionBias: Tensor
    public let outProjection: Linear

    public init(embedDimension e: Int, heads: Int, initializer: ParameterInitializer) throws {
        guard heads >= 1, e % heads == 0 else {
            throw ComputeError.invalidArgument("embedding dimension \(e) is not divisible by \(heads) heads")
        }
        self.heads = heads
        // Xavier-uniform over the stacked [3E, E] matrix, zero biases, as PyTorch does.
        inProjectionWeight = try initializer.uniform([3 * e, e], bound: (6 / Float(4 * e)).squareRoot())
        inProjectionBias = try initializer.constant([3 * e], 0)
        let projection = try Linear(e, e, initializer: initializer)
        try projection.bias?.fill(0)
        outProjection = projection
    }

    public override var localParameters: [(String, Tensor)] {
        [("in_proj_weight", inProjectionWeight), ("in_proj_bias", inProjectionBias)]
    }
    public override var children: [(String, Module)] { [("out_proj", outProjection)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape[2] == inProjectionWeight.shape[1] else {
            throw ComputeError.shapeMismatch("MultiheadSelfAttention over [N, L, \(inProjectionWeight.shape[1])], got \(x.shape)")
        }
        let (n, l, e) = (x.shape[0], x.shape[1], x.shape[2])
        let d = e / heads
        let qkv = try (x.matmul(inProjectionWeight, transposeOther: true) + inProjectionBias)  // [N, L, 3E]
            .reshaped([n, l, 3, heads, d]).permuted([2, 0, 3, 1, 4])  // [3, N, H, L, d]
        func part(_ i: Int) throws -> Tensor { try qkv.slice(axis: 0, i..<(i + 1)).reshaped([n * heads, l, d]) }
        let attended = try Tensor.attention(query: part(0), key: part(1), value: part(2))  // [N·H, L, d]
        let merged = try attended.reshaped([n, heads, l, d]).permuted([0, 2, 1, 3]).reshaped([n, l, e])
        return try outProjection(merged)
    }
}
