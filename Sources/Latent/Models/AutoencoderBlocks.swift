import LatentCompute

/// LDM's `ResnetBlock` without time embedding: norm1, SiLU, conv1 3×3, norm2, SiLU, dropout, conv2 3×3,
/// plus the input (through `nin_shortcut` 1×1 when the channel count changes). GroupNorm eps 1e-6.
public final class AutoencoderResBlock: Module {
    public let norm1: GroupNorm, conv1: Conv2d, norm2: GroupNorm, conv2: Conv2d
    public let shortcut: Conv2d?
    public let dropout: Float

    init(_ inChannels: Int, _ outChannels: Int, groups: Int, dropout: Float, initializer: ParameterInitializer) throws {
        norm1 = try GroupNorm(groups: groups, channels: inChannels, epsilon: 1e-6, initializer: initializer)
        conv1 = try Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, initializer: initializer)
        norm2 = try GroupNorm(groups: groups, channels: outChannels, epsilon: 1e-6, initializer: initializer)
        conv2 = try Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, initializer: initializer)
        shortcut = inChannels != outChannels ? try Conv2d(inChannels, outChannels, kernelSize: 1, initializer: initializer) : nil
        self.dropout = dropout
    }

    public override var children: [(String, Module)] {
        [("norm1", norm1), ("conv1", conv1), ("norm2", norm2), ("conv2", conv2)] + (shortcut.map { [("nin_shortcut", $0)] } ?? [])
    }

    func callAsFunction(_ x: Tensor, dropoutNoise: NoiseStream?) throws -> Tensor {
        var h = try conv1(norm1(x).applyingInPlace(.silu))
        h = try norm2(h).applyingInPlace(.silu)
        if training, dropout > 0, let noise = dropoutNoise {
            h = try h.dropout(probability: dropout, seed: noise.seed, offset: noise.takeRows(h.shape[0], perRow: h.count / h.shape[0]))
        }
        return try (shortcut.map { try $0(x) } ?? x) + conv2(h)
    }
}

/// One resolution of the encoder or decoder: `block.j` ResBlocks, then `downsample.conv` (3×3, stride 2,
/// padding 1) or `upsample.conv` (nearest ×2, then 3×3) when present.
final class AutoencoderLevel: Module {
    enum Resample { case none, down, up }
    let blocks: [AutoencoderResBlock]
    let resample: Resample
    let resampleConv: Conv2d?
    private let blockList: IndexedModuleList
    private let resampleModule: Module?

    init(blocks: [AutoencoderResBlock], resample: Resample, channels: Int, initializer: ParameterInitializer) throws {
        self.blocks = blocks
        self.resample = resample
        blockList = IndexedModuleList(blocks)
        switch resample {
        case .none:
            resampleConv = nil
        case .down:
            resampleConv = try Conv2d(channels, channels, kernelSize: 3, stride: 2, padding: 1, initializer: initializer)
        case .up:
            resampleConv = try Conv2d(channels, channels, kernelSize: 3, padding: 1, initializer: initializer)
        }
        resampleModule = resampleConv.map { NamedChild("conv", $0) }
    }

    override var children: [(String, Module)] {
        var result: [(String, Module)] = [("block", blockList)]
        if let resampleModule { result.append((resample == .down ? "downsample" : "upsample", resampleModule)) }
        return result
    }

    func callAsFunction(_ x: Tensor, dropoutNoise: NoiseStream?) throws -> Tensor {
        var h = x
        for block in blocks { h = try block(h, dropoutNoise: dropoutNoise) }
        switch resample {
        case .none: return h
        case .down: return try resampleConv!(h)
        case .up: return try resampleConv!(h.upsampleNearest(factor: 2))
        }
    }
}

/// A module with one named child (for names like "downsample.conv.weight").
final class NamedChild: Module {
    let name: String
    let child: Module
    init(_ name: String, _ child: Module) { (self.name, self.child) = (name, child) }
    override var children: [(String, Module)] { [(name, child)] }
}

/// LDM's `Encoder`: conv_in, levels with downsampling, mid.block_1, norm_out, SiLU, conv_out to 2z channels.
final class AutoencoderEncoder: Module {
    let convIn: Conv2d
    let levels: [AutoencoderLevel]
    let middle: AutoencoderResBlock
    let normOut: GroupNorm
    let convOut: Conv2d
    private let levelList: IndexedModuleList

    init(_ c: AutoencoderConfig, initializer: ParameterInitializer) throws {
        convIn = try Conv2d(c.inChannels, c.channels, kernelSize: 3, padding: 1, initializer: initializer)
        var current = c.channels
        var levels: [AutoencoderLevel] = []
        for (i, m) in c.channelMultipliers.enumerated() {
            var blocks: [AutoencoderResBlock] = []
            for _ in 0..<c.resBlocks {
                blocks.append(try AutoencoderResBlock(current, c.channels * m, groups: c.normGroups, dropout: c.dropout, initializer: initializer))
                current = c.channels * m
            }
            let last = i == c.channelMultipliers.count - 1
            levels.append(try AutoencoderLevel(blocks: blocks, resample: last ? .none : .down, channels: current, initializer: initializer))
        }
        self.levels = levels
        levelList = IndexedModuleList(levels)
        middle = try AutoencoderResBlock(current, current, groups: c.normGroups, dropout: c.dropout, initializer: initializer)
        normOut = try GroupNorm(groups: c.normGroups, channels: current, epsilon: 1e-6, initializer: initializer)
        convOut = try Conv2d(current, 2 * c.latentChannels, kernelSize: 3, padding: 1, initializer: initializer)
    }

    override var children: [(String, Module)] {
        [("conv_in", convIn), ("down", levelList), ("mid", NamedChild("block_1", middle)), ("norm_out", normOut), ("conv_out", convOut)]
    }

    func callAsFunction(_ x: Tensor, dropoutNoise: NoiseStream?) throws -> Tensor {
        var h = try convIn(x)
        for level in levels { h = try level(h, dropoutNoise: dropoutNoise) }
        h = try middle(h, dropoutNoise: dropoutNoise)
        return try convOut(normOut(h).applyingInPlace(.silu))
    }
}

/// LDM's `Decoder`: conv_in, mid.block_1, levels (last first, `up.i` indexed by level) with
/// num_res_blocks + 1 ResBlocks and upsampling except at level 0, norm_out, SiLU, conv_out.
final class AutoencoderDecoder: Module {
    let convIn: Conv2d
    let middle: AutoencoderResBlock
    /// By level index: levels[0] is the full resolution (applied last).
    let levels: [AutoencoderLevel]
    let normOut: GroupNorm
    let convOut: Conv2d
    private let levelList: IndexedModuleList

    init(_ c: AutoencoderConfig, initializer: ParameterInitializer) throws {
        var current = c.channels * c.channelMultipliers.last!
        convIn = try Conv2d(c.latentChannels, current, kernelSize: 3, padding: 1, initializer: initializer)
        middle = try AutoencoderResBlock(current, current, groups: c.normGroups, dropout: c.dropout, initializer: initializer)
        var byLevel = [AutoencoderLevel?](repeating: nil, count: c.channelMultipliers.count)
        for i in c.channelMultipliers.indices.reversed() {
            var blocks: [AutoencoderResBlock] = []
            for _ in 0...c.resBlocks {
                blocks.append(
                    try AutoencoderResBlock(
                        current, c.channels * c.channelMultipliers[i], groups: c.normGroups,
                        dropout: c.dropout, initializer: initializer))
                current = c.channels * c.channelMultipliers[i]
            }
            byLevel[i] = try AutoencoderLevel(blocks: blocks, resample: i == 0 ? .none : .up, channels: current, initializer: initializer)
        }
        levels = byLevel.map { $0! }
        levelList = IndexedModuleList(levels)
        normOut = try GroupNorm(groups: c.normGroups, channels: current, epsilon: 1e-6, initializer: initializer)
        convOut = try Conv2d(current, c.inChannels, kernelSize: 3, padding: 1, initializer: initializer)
    }

    override var children: [(String, Module)] {
        [("conv_in", convIn), ("mid", NamedChild("block_1", middle)), ("up", levelList), ("norm_out", normOut), ("conv_out", convOut)]
    }

    func callAsFunction(_ z: Tensor, dropoutNoise: NoiseStream?) throws -> Tensor {
        var h = try middle(convIn(z), dropoutNoise: dropoutNoise)
        for level in levels.reversed() { h = try level(h, dropoutNoise: dropoutNoise) }
        return try convOut(normOut(h).applyingInPlace(.silu))
    }
}
