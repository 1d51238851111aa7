import LatentCompute

/// One entry of the U-Net's down or up path.
public enum UNetStage {
    case blocks(UNetLevelBlock)
    case downsample(UNetDownsample)
    case upsample(UNetUpsample)

    var module: Module {
        switch self {
        case let .blocks(m): m
        case let .downsample(m): m
        case let .upsample(m): m
        }
    }
}

/// The DDPM denoiser (Ho et al. 2020), layer for layer and name for name the reference `UNet`:
/// conv_in; per level `num_res_blocks` ResBlocks (+ attention at `attn_resolutions`) and a stride-2
/// Downsample except at the last level; mid = ResBlock, attention, ResBlock; per level (reversed)
/// `num_res_blocks + 1` ResBlocks each taking one skip activation by channel concatenation (+ attention),
/// and a nearest ×2 Upsample except at level 0; GN-SiLU-conv_out. Time embedding: sinusoidal(t, C)
/// → temb (Linear-SiLU-Linear) [+ class_emb(y)]. `namedParameters()` are the PyTorch state_dict keys.
public final class UNet: Module {
    public let configuration: UNetConfiguration
    public let device: any Device
    public let timeEmbedding: Sequential
    public let classEmbedding: Embedding?
    public let convIn: Conv2d
    public let down: [UNetStage]
    public let middle: [Module]
    public let middleFirst: UNetResBlock, middleAttention: UNetAttentionBlock, middleSecond: UNetResBlock
    public let up: [UNetStage]
    public let normOut: GroupNorm
    public let convOut: Conv2d
    private let downList: IndexedModuleList, middleList: IndexedModuleList, upList: IndexedModuleList
    /// temb's two linear layers (the Sequential's "0" and "2"), called directly so that the class
    /// embedding is added in the second one's epilogue.
    private let timeInput: Linear, timeOutput: Linear
    /// Per-step inputs kept on the device: the timestep embeddings and the null-class index.
    private let timestepTable: TimestepEmbeddingTable
    private let nullIndex: Tensor?

    /// Builds the network with PyTorch's default initialisation drawn from `initializer`'s Philox stream.
    public init(_ configuration: UNetConfiguration = UNetConfiguration(), initializer: ParameterInitializer) throws {
        try configuration.validate()
        self.configuration = configuration
        device = initializer.device
        let c = configuration, ch = c.channels, tc = c.timeChannels, groups = c.normGroups
        let timeIn = try Linear(ch, tc, initializer: initializer), timeOut = try Linear(tc, tc, initializer: initializer)
        timeEmbedding = Sequential([timeIn, Activation(.silu), timeOut])
        (timeInput, timeOutput) = (timeIn, timeOut)
        classEmbedding = try c.numClasses.map { try Embedding($0 + 1, tc, initializer: initializer) }
        convIn = try Conv2d(c.inChannels, ch, kernelSize: 3, padding: 1, initializer: initializer)

        func block(_ cin: Int, _ cout: Int, attention: Bool) throws -> UNetLevelBlock {
            UNetLevelBlock(
                residual: try UNetResBlock(cin, cout, timeChannels: tc, dropout: c.dropout, groups: groups, initializer: initializer),
                attention: attention ? try UNetAttentionBlock(cout, groups: groups, initializer: initializer) : nil)
        }
        var down: [UNetStage] = []
        var skips = [ch], current = ch, resolution = c.resolution
        for (level, multiplier) in c.channelMultipliers.enumerated() {
            for _ in 0..<c.resBlocks {
                down.append(.blocks(try block(current, ch * multiplier, attention: c.attentionResolutions.contains(resolution))))
                current = ch * multiplier
                skips.append(current)
            }
            if level != c.channelMultipliers.count - 1 {
                down.append(.downsample(try UNetDownsample(current, initializer: initializer)))
                skips.append(current)
                resolution /= 2
            }
        }
        self.down = down
        middleFirst = try UNetResBlock(current, current, timeChannels: tc, dropout: c.dropout, groups: groups, initializer: initializer)
        middleAttention = try UNetAttentionBlock(current, groups: groups, initializer: initializer)
        middleSecond = try UNetResBlock(current, current, timeChannels: tc, dropout: c.dropout, groups: groups, initializer: initializer)
        middle = [middleFirst, middleAttention, middleSecond]

        var up: [UNetStage] = []
        for (level, multiplier) in c.channelMultipliers.enumerated().reversed() {
            for _ in 0...c.resBlocks {
                up.append(
                    .blocks(
                        try block(
                            current + skips.removeLast(), ch * multiplier,
                            attention: c.attentionResolutions.contains(resolution))))
                current = ch * multiplier
            }
            if level != 0 {
                up.append(.upsample(try UNetUpsample(current, initializer: initializer)))
                resolution *= 2
            }
        }
        precondition(skips.isEmpty, "every skip activation is consumed")
        self.up = up
        normOut = try unetNorm(current, groups: groups, initializer)
        convOut = try Conv2d(current, c.inChannels, kernelSize: 3, padding: 1, initializer: initializer)
        try zeroParameter(convOut.weight)
        try zeroParameter(convOut.bias)
        timestepTable = TimestepEmbeddingTable(dimension: ch)
        nullIndex = try c.numClasses.map { try Tensor(indices: [Int32($0)], shape: [1], on: initializer.device) }
        downList = IndexedModuleList(down.map(\.module))
        middleList = IndexedModuleList(middle)
        upList = IndexedModuleList(up.map(\.module))
    }

    public override var children: [(String, Module)] {
        [("temb", timeEmbedding)] + (classEmbedding.map { [("class_emb", $0)] } ?? [])
            + [
                ("conv_in", convIn), ("down", downList), ("mid", middleList), ("up", upList),
                ("norm_out", normOut), ("conv_out", convOut),
            ]
    }

    /// The null-class index for classifier-free guidance (nil for an unconditional network).
    public var nullClass: Int? { configuration.numClasses }

    /// The model output (ε or v) for x [B, C, H, W] at per-sample timesteps (B values, 0-based).
    /// - labels: Int32 [B] class indices on the network's device (index `numClasses` = null class);
    ///   nil means the null class for a class-conditional network. Ignored by an unconditional one.
    /// - nullMask: optional Float [B], 1 where the label is replaced by the null class (label dropout).
    /// - dropoutNoise: dropout is applied in training mode when a stream is given (masks drawn from it).
    public func callAsFunction(
        _ x: Tensor, timesteps: [Int], labels: Tensor? = nil, nullMask: Tensor? = nil,
        dropoutNoise: NoiseStream? = nil
    ) throws -> Tensor {
        let c = configuration
        let factor = 1 << (c.channelMultipliers.count - 1)
        guard x.rank == 4, x.shape[1] == c.inChannels, x.shape[2] % factor == 0, x.shape[3] % factor == 0 else {
            throw ComputeError.shapeMismatch("UNet needs [B, \(c.inChannels), H, W] with H, W divisible by \(factor), got \(x.shape)")
        }
        let batch = x.shape[0]
        guard timesteps.count == batch else {
            throw ComputeError.shapeMismatch("UNet: \(timesteps.count) timesteps for a batch of \(batch)")
        }
        // temb = Linear(SiLU(Linear(sinusoidal(t)))) [+ class_emb(y)], the class term added in the
        // second product's epilogue.
        var classTerm: Tensor?
        if let classEmbedding, let nullClass {
            let null = try nullIndex.flatMap { $0.device === x.device ? $0 : nil } ?? Tensor(indices: [Int32(nullClass)], shape: [1], on: x.device)
            if let labels {
                guard labels.shape == [batch] else { throw ComputeError.shapeMismatch("UNet labels \(labels.shape) for a batch of \(batch)") }
                var embedded = try classEmbedding(labels)
                if let nullMask {
                    embedded = try Tensor.select(nullMask.reshaped([batch, 1]), classEmbedding(null), embedded)
                }
                classTerm = embedded
            } else {
                classTerm = try classEmbedding(null)
            }
        }
        let hidden = try timeInput(timestepTable.embeddings(timesteps, on: x.device)).silu()
        let activated = try timeOutput(hidden, adding: classTerm).silu()

        var skips = [try convIn(x)]
        for stage in down {
            switch stage {
            case let .blocks(b): skips.append(try b(skips.last!, activatedTime: activated, dropoutNoise: dropoutNoise))
            case let .downsample(d): skips.append(try d(skips.last!))
            case .upsample: preconditionFailure("no upsampling on the down path")
            }
        }
        var h = try middleFirst(skips.last!, activatedTime: activated, dropoutNoise: dropoutNoise)
        h = try middleAttention(h)
        h = try middleSecond(h, activatedTime: activated, dropoutNoise: dropoutNoise)
        for stage in up {
            switch stage {
            case let .blocks(b):
                // h gives up its old value before the block runs, so only the joined tensor is
                // alive inside it (the reference holds both: one activation more at its peak).
                h = try Tensor.concat([h, skips.removeLast()], axis: 1)
                h = try b(h, activatedTime: activated, dropoutNoise: dropoutNoise)
            case let .upsample(u): h = try u(h)
            case .downsample: preconditionFailure("no downsampling on the up path")
            }
        }
        return try convOut(normOut.silu(h))
    }
}
