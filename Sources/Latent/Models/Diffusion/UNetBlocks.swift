import LatentCompute

/// The reference's `norm(ch)`: GroupNorm with 32 groups (configurable) and epsilon 1e-6 (the TF original's).
func unetNorm(_ channels: Int, groups: Int, _ initializer: ParameterInitializer) throws -> GroupNorm {
    guard channels % groups == 0 else {
        throw DiffusionError.invalidConfiguration("GroupNorm(\(groups)) needs a channel count divisible by \(groups), got \(channels)")
    }
    return try GroupNorm(groups: groups, channels: channels, epsilon: 1e-6, initializer: initializer)
}

/// Sets a parameter to zero in place (the reference zero-initialises conv2, proj_out and conv_out).
func zeroParameter(_ tensor: Tensor?) throws {
    guard let tensor else { return }
    try tensor.fill(0)
}

/// The U-Net's residual block (`ResBlock`): GN-SiLU-Conv3×3, plus Linear(SiLU(temb)) per channel,
/// GN-SiLU-Dropout-Conv3×3 (zero-initialised), plus the input (through a 1×1 `shortcut` conv when
/// the channel count changes). Parameter names: norm1, conv1, temb_proj, norm2, conv2, shortcut.
public final class UNetResBlock: Module {
    public let norm1: GroupNorm
    public let conv1: Conv2d
    public let timeProjection: Linear
    public let norm2: GroupNorm
    public let conv2: Conv2d
    public let shortcut: Conv2d?
    public let dropout: Float

    public init(
        _ inChannels: Int, _ outChannels: Int, timeChannels: Int, dropout: Float, groups: Int,
        initializer: ParameterInitializer
    ) throws {
        norm1 = try unetNorm(inChannels, groups: groups, initializer)
        conv1 = try Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, initializer: initializer)
        timeProjection = try Linear(timeChannels, outChannels, initializer: initializer)
        norm2 = try unetNorm(outChannels, groups: groups, initializer)
        conv2 = try Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, initializer: initializer)
        try zeroParameter(conv2.weight)
        try zeroParameter(conv2.bias)
        shortcut =
            inChannels != outChannels
            ? try Conv2d(inChannels, outChannels, kernelSize: 1, initializer: initializer) : nil
        self.dropout = dropout
    }

    public override var children: [(String, Module)] {
        [("norm1", norm1), ("conv1", conv1), ("temb_proj", timeProjection), ("norm2", norm2), ("conv2", conv2)]
            + (shortcut.map { [("shortcut", $0)] } ?? [])
    }

    /// x [B, Cin, H, W]; `activatedTime` = SiLU(temb) [B, 4C] (computed once per forward by the U-Net).
    /// Dropout is applied in training mode when `dropoutNoise` is given.
    public func callAsFunction(_ x: Tensor, activatedTime: Tensor, dropoutNoise: NoiseStream?) throws -> Tensor {
        // The time projection, the residual and every bias are added in the products' epilogues
        // when sampling (the same sums as the separate adds while training).
        let projected = try timeProjection(activatedTime)
        var h = try conv1(norm1.silu(x), adding: projected.reshaped([projected.shape[0], projected.shape[1], 1, 1]))
        h = try norm2.silu(h)
        if training, dropout > 0, let noise = dropoutNoise {
            h = try h.dropout(probability: dropout, seed: noise.seed, offset: noise.takeRows(h.shape[0], perRow: h.count / h.shape[0]))
        }
        guard let shortcut else { return try conv2(h, adding: x) }
        return try shortcut(x, adding: conv2(h))
    }
}

/// Single-head spatial self-attention (`AttnBlock`): GN, 1×1 q, k, v, softmax(q·kᵀ/√C)·v, 1×1
/// proj_out (zero-initialised), residual. The 1×1 convolutions run as matrix products on the
/// [B, C, HW] view, producing q, k, v directly in the [B, HW, C] layout the fused attention kernel takes.
public final class UNetAttentionBlock: Module {
    public let norm: GroupNorm
    public let q: Conv2d, k: Conv2d, v: Conv2d
    public let projectionOut: Conv2d

    public init(_ channels: Int, groups: Int, initializer: ParameterInitializer) throws {
        norm = try unetNorm(channels, groups: groups, initializer)
        q = try Conv2d(channels, channels, kernelSize: 1, initializer: initializer)
        k = try Conv2d(channels, channels, kernelSize: 1, initializer: initializer)
        v = try Conv2d(channels, channels, kernelSize: 1, initializer: initializer)
        projectionOut = try Conv2d(channels, channels, kernelSize: 1, initializer: initializer)
        try zeroParameter(projectionOut.weight)
        try zeroParameter(projectionOut.bias)
    }

    public override var children: [(String, Module)] {
        [("norm", norm), ("q", q), ("k", k), ("v", v), ("proj_out", projectionOut)]
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (b, c, hgt, wid) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let h = try norm(x).reshaped([b, c, hgt * wid])
        // (W·h)ᵀ + bias = hᵀ·Wᵀ + bias: [B, HW, C].
        func project(_ conv: Conv2d) throws -> Tensor {
            try h.matmul(conv.weight.reshaped([c, c]), transposeSelf: true, transposeOther: true, bias: conv.bias)
        }
        let attended = try Tensor.attention(query: project(q), key: project(k), value: project(v))  // [B, HW, C]
        // x + (proj_out: W·attendedᵀ + bias) → [B, C, HW], bias and residual in the product's epilogue.
        let out = try projectionOut.weight.reshaped([c, c]).matmul(
            attended, transposeOther: true, bias: projectionOut.bias?.reshaped([c, 1]), residual: x.reshaped([b, c, hgt * wid]))
        return try out.reshaped([b, c, hgt, wid])
    }
}

/// 3×3 convolution with stride 2 and padding 1 (`Downsample`, parameter `conv`).
public final class UNetDownsample: Module {
    public let conv: Conv2d

    public init(_ channels: Int, initializer: ParameterInitializer) throws {
        conv = try Conv2d(channels, channels, kernelSize: 3, stride: 2, padding: 1, initializer: initializer)
    }

    public override var children: [(String, Module)] { [("conv", conv)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(x) }
}

/// Nearest-neighbour ×2 then a 3×3 convolution (`Upsample`, parameter `conv`).
public final class UNetUpsample: Module {
    public let conv: Conv2d

    public init(_ channels: Int, initializer: ParameterInitializer) throws {
        conv = try Conv2d(channels, channels, kernelSize: 3, padding: 1, initializer: initializer)
    }

    public override var children: [(String, Module)] { [("conv", conv)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(x.upsampleNearest(factor: 2)) }
}

/// One entry of the reference's `down`/`up` lists that is a `ModuleList([ResBlock, AttnBlock?])`:
/// children "0" (the ResBlock) and "1" (the attention block, when this resolution has one).
public final class UNetLevelBlock: Module {
    public let residual: UNetResBlock
    public let attention: UNetAttentionBlock?

    public init(residual: UNetResBlock, attention: UNetAttentionBlock?) {
        self.residual = residual
        self.attention = attention
    }

    public override var children: [(String, Module)] {
        [("0", residual)] + (attention.map { [("1", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor, activatedTime: Tensor, dropoutNoise: NoiseStream?) throws -> Tensor {
        let h = try residual(x, activatedTime: activatedTime, dropoutNoise: dropoutNoise)
        return try attention.map { try $0(h) } ?? h
    }
}

/// A list of modules named "0", "1", … (PyTorch's `nn.ModuleList`) for the state-dict names.
final class IndexedModuleList: Module {
    let items: [Module]
    init(_ items: [Module]) { self.items = items }
    override var children: [(String, Module)] { items.enumerated().map { ("\($0.offset)", $0.element) } }
}
