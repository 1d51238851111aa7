import LatentCompute

/// timm's Attention as the official DiT uses it: qkv = Linear(D, 3D) split into heads,
/// softmax(q·kᵀ/√d)·v on the fused attention kernel, proj = Linear(D, D).
public final class DiTAttention: Module {
    public let qkv: Linear
    public let proj: Linear
    public let heads: Int

    init(hiddenSize: Int, heads: Int, initializer: ParameterInitializer) throws {
        qkv = try DiTInitialization.xavierLinear(hiddenSize, 3 * hiddenSize, initializer)
        proj = try DiTInitialization.xavierLinear(hiddenSize, hiddenSize, initializer)
        self.heads = heads
    }

    public override var children: [(String, Module)] { [("qkv", qkv), ("proj", proj)] }

    /// x [N, L, D] → [N, L, D].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (n, l, e) = (x.shape[0], x.shape[1], x.shape[2])
        let d = e / heads
        let parts = try qkv(x).reshaped([n, l, 3, heads, d]).permuted([2, 0, 3, 1, 4])  // [3, N, H, L, d]
        func part(_ i: Int) throws -> Tensor { try parts.slice(axis: 0, i..<(i + 1)).reshaped([n * heads, l, d]) }
        let attended = try Tensor.attention(query: part(0), key: part(1), value: part(2))  // [N·H, L, d]
        return try proj(attended.reshaped([n, heads, l, d]).permuted([0, 2, 1, 3]).reshaped([n, l, e]))
    }
}

/// timm's Mlp: fc1, GELU (exact; the official code uses the tanh approximation), fc2.
public final class DiTMlp: Module {
    public let fc1: Linear
    public let fc2: Linear

    init(hiddenSize: Int, mlpHidden: Int, initializer: ParameterInitializer) throws {
        fc1 = try DiTInitialization.xavierLinear(hiddenSize, mlpHidden, initializer)
        fc2 = try DiTInitialization.xavierLinear(mlpHidden, hiddenSize, initializer)
    }

    public override var children: [(String, Module)] { [("fc1", fc1), ("fc2", fc2)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try fc2(fc1(x).applyingInPlace(.gelu)) }
}

/// The adaLN-Zero block: from the conditioning c, adaLN_modulation = (SiLU, Linear(D, 6D)) gives
/// shift, scale and gate for attention and for the MLP; x += gate·attn(modulate(LN(x))), then
/// x += gate·mlp(modulate(LN(x))). The modulation starts at zero, so each block starts as the identity.
public final class DiTBlock: Module {
    public let attn: DiTAttention
    public let mlp: DiTMlp
    public let adaLNModulation: Sequential
    let norm: AffineFreeLayerNorm

    init(_ c: DiTConfiguration, initializer: ParameterInitializer) throws {
        attn = try DiTAttention(hiddenSize: c.hiddenSize, heads: c.heads, initializer: initializer)
        mlp = try DiTMlp(hiddenSize: c.hiddenSize, mlpHidden: c.mlpHidden, initializer: initializer)
        adaLNModulation = Sequential([Activation(.silu), try DiTInitialization.zeroLinear(c.hiddenSize, 6 * c.hiddenSize, initializer)])
        norm = try AffineFreeLayerNorm(c.hiddenSize, device: initializer.device)
    }

    public override var children: [(String, Module)] { [("attn", attn), ("mlp", mlp), ("adaLN_modulation", adaLNModulation)] }

    /// x [N, L, D], c [N, D].
    public func callAsFunction(_ x: Tensor, conditioning c: Tensor) throws -> Tensor {
        let m = try adaLNModulation(c)
        let attended = try attn(modulate(norm(x), shift: chunk(m, 0, of: 6), scale: chunk(m, 1, of: 6)))
        let h = try x + perToken(chunk(m, 2, of: 6)) * attended
        let transformed = try mlp(modulate(norm(h), shift: chunk(m, 3, of: 6), scale: chunk(m, 4, of: 6)))
        return try h + perToken(chunk(m, 5, of: 6)) * transformed
    }
}

/// `final_layer`: LayerNorm without affine, adaLN shift/scale (adaLN_modulation = SiLU, Linear(D, 2D)),
/// linear = Linear(D, p·p·C_out); both zero-initialised.
public final class DiTFinalLayer: Module {
    public let adaLNModulation: Sequential
    public let linear: Linear
    let norm: AffineFreeLayerNorm

    init(_ c: DiTConfiguration, initializer: ParameterInitializer) throws {
        adaLNModulation = Sequential([Activation(.silu), try DiTInitialization.zeroLinear(c.hiddenSize, 2 * c.hiddenSize, initializer)])
        linear = try DiTInitialization.zeroLinear(c.hiddenSize, c.patchSize * c.patchSize * c.outChannels, initializer)
        norm = try AffineFreeLayerNorm(c.hiddenSize, device: initializer.device)
    }

    public override var children: [(String, Module)] { [("adaLN_modulation", adaLNModulation), ("linear", linear)] }

    public func callAsFunction(_ x: Tensor, conditioning c: Tensor) throws -> Tensor {
        let m = try adaLNModulation(c)
        return try linear(modulate(norm(x), shift: chunk(m, 0, of: 2), scale: chunk(m, 1, of: 2)))
    }
}
