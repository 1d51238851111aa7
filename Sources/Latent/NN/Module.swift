import LatentCompute

/// A network building block with named parameters and named children, like PyTorch's `nn.Module`:
/// `namedParameters()` yields `state_dict` keys ("down.0.conv1.weight"), so weights move between
/// Latent and the reference models without a mapping table.
open class Module {
    /// Training mode (dropout active); `eval()` switches the whole tree off.
    public private(set) var training = true

    public init() {}

    /// This module's own parameters, by local name, in declaration order.
    open var localParameters: [(String, Tensor)] { [] }
    /// Non-trainable state saved with the weights (PyTorch's buffers, e.g. "cluster_size").
    open var localBuffers: [(String, Tensor)] { [] }
    /// State that resuming training needs but sampling does not (e.g. the VQ-VAE's idle-code counters).
    /// It is not in the `state_dict`: checkpoints keep it next to the optimizer state.
    open var localTrainingState: [(String, Tensor)] { [] }
    /// Direct children, by local name, in declaration order.
    open var children: [(String, Module)] { [] }

    /// Every parameter of the tree with its dotted name.
    public func namedParameters() -> [(String, Tensor)] { collect(\.localParameters) }

    /// Every buffer of the tree with its dotted name.
    public func namedBuffers() -> [(String, Tensor)] { collect(\.localBuffers) }

    /// Every training-state tensor of the tree with its dotted name.
    public func namedTrainingState() -> [(String, Tensor)] { collect(\.localTrainingState) }

    /// Parameters and buffers: the tensors of PyTorch's `state_dict`.
    public func stateDict() -> [(String, Tensor)] { namedParameters() + namedBuffers() }

    private func collect(_ local: KeyPath<Module, [(String, Tensor)]>) -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        collect(local, prefix: "", into: &result)
        return result
    }

    private func collect(_ local: KeyPath<Module, [(String, Tensor)]>, prefix: String, into result: inout [(String, Tensor)]) {
        for (name, tensor) in self[keyPath: local] { result.append((prefix + name, tensor)) }
        for (name, child) in children { child.collect(local, prefix: prefix + name + ".", into: &result) }
    }

    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.1.count } }

    public func train(_ on: Bool = true) {
        training = on
        for (_, child) in children { child.train(on) }
    }

    public func eval() { train(false) }

    /// Copies values into the parameters and buffers by name, checking that every name and shape matches.
    public func load(_ values: [String: (shape: [Int], values: [Float])]) throws {
        let parameters = stateDict()
        let expected = Set(parameters.map(\.0))
        let missing = expected.subtracting(values.keys).sorted()
        let unexpected = Set(values.keys).subtracting(expected).sorted()
        guard missing.isEmpty, unexpected.isEmpty else {
            throw ComputeError.invalidArgument("weights do not match the model: missing \(missing), unexpected \(unexpected)")
        }
        for (name, tensor) in parameters {
            let entry = values[name]!
            guard entry.shape == tensor.shape else {
                throw ComputeError.shapeMismatch("\(name): file has \(entry.shape), model has \(tensor.shape)")
            }
            try tensor.assign(entry.values)
        }
    }

    /// Copies values into the training-state tensors by name. A name missing from `values` (a
    /// checkpoint older than that state) is reset to zeros; a wrong shape or an unknown name throws.
    public func loadTrainingState(_ values: [String: (shape: [Int], values: [Float])]) throws {
        let state = namedTrainingState()
        let unexpected = Set(values.keys).subtracting(state.map(\.0)).sorted()
        guard unexpected.isEmpty else {
            throw ComputeError.invalidArgument("training state does not match the model: unexpected \(unexpected)")
        }
        for (name, tensor) in state {
            guard let entry = values[name] else {
                try tensor.fill(0)
                continue
            }
            guard entry.shape == tensor.shape else {
                throw ComputeError.shapeMismatch("training state \(name): file has \(entry.shape), model has \(tensor.shape)")
            }
            try tensor.assign(entry.values)
        }
    }
}

/// Deterministic parameter initialisation: every draw takes the next slice of one Philox stream,
/// so the same seed gives the same weights on every backend.
public final class ParameterInitializer {
    public let seed: UInt64
    public let device: any Device
    private var offset: UInt64 = 0

    public init(seed: UInt64, device: any Device) {
        self.seed = seed
        self.device = device
    }

    /// Parameters handed out so far; `take` refuses to go past `ModelLimits.maximumParameters`.
    public private(set) var parameterCount = 0

    /// Uniform in [−bound, bound), as a parameter.
    public func uniform(_ shape: [Int], bound: Float) throws -> Tensor {
        let t = try Tensor.randomUniform(shape, seed: seed, offset: take(shape), on: device)
        return try withoutGrad { try t.affine(scale: 2 * bound, shift: -bound) }.requiringGrad()
    }

    /// Normal(0, std²), as a parameter.
    public func normal(_ shape: [Int], std: Float = 1) throws -> Tensor {
        try Tensor.randomNormal(shape, seed: seed, offset: take(shape), std: std, on: device).requiringGrad()
    }

    public func constant(_ shape: [Int], _ value: Float) throws -> Tensor {
        try reserve(shape)
        return try Tensor.full(shape, value: value, on: device).requiringGrad()
    }

    private func take(_ shape: [Int]) throws -> UInt64 {
        let count = try reserve(shape)
        defer { offset += UInt64(count) }
        return offset
    }

    /// Counts `shape`'s elements against the budget before anything is allocated, so a config
    /// from a file cannot ask for gigabytes (or overflow the count).
    @discardableResult
    private func reserve(_ shape: [Int]) throws -> Int {
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(d, 0))
            count = overflow ? Int.max : product
        }
        let (total, overflow) = parameterCount.addingReportingOverflow(count)
        guard !overflow, total <= ModelLimits.maximumParameters else {
            throw ComputeError.invalidArgument(
                "the model configuration needs more than \(ModelLimits.maximumParameters) parameters (1 GiB); use smaller sizes")
        }
        parameterCount = total
        return count
    }
}

/// Bounds on model sizes read from configs (JSON `--config`, checkpoints), which may come from anywhere.
public enum ModelLimits {
    /// Largest parameter count a config may ask for: 2^28 Float32 values, 1 GiB.
    public static let maximumParameters = 1 << 28
    /// Largest single width (channels, latent size, codebook size, classes, resolution).
    public static let maximumWidth = 1 << 16
}

/// A stream of Philox (seed, offset) pairs for dropout and other noise during training; its
/// offset is saved in checkpoints so a resumed run draws the same numbers.
public final class NoiseStream {
    public let seed: UInt64
    public private(set) var offset: UInt64

    public init(seed: UInt64, offset: UInt64 = 0) {
        self.seed = seed
        self.offset = offset
    }

    /// Continues from a saved offset (resume).
    public func reset(offset: UInt64) { self.offset = offset }

    /// Reserves `count` numbers and returns the offset of the first.
    public func take(_ count: Int) -> UInt64 {
        defer { offset += UInt64(count) }
        return offset
    }

    /// The part of the global batch this process trains on in a data-parallel step (nil: all of it).
    public var shard: BatchShard?

    /// Reserves the numbers of `rows` batch rows of `perRow` numbers each and returns the offset of
    /// the first. In a data-parallel step (`shard` set and `rows` its count) the stream advances past
    /// the whole global batch's numbers and the offset is that of this shard's first row, so every
    /// image gets the numbers it would get in one process.
    public func takeRows(_ rows: Int, perRow: Int) -> UInt64 {
        guard let shard, rows == shard.count else { return take(rows * perRow) }
        defer { offset += UInt64(shard.total * perRow) }
        return offset + UInt64(shard.start * perRow)
    }
}
