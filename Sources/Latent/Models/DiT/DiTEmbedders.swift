import Foundation
import LatentCompute

/// `x_embedder`: a p×p convolution with stride p, image [N, C, H, W] → tokens [N, (H/p)·(W/p), D]
/// (timm's PatchEmbed; parameters proj.weight, proj.bias).
public final class DiTPatchEmbed: Module {
    public let proj: Conv2d
    public let patchSize: Int

    init(_ c: DiTConfiguration, initializer: ParameterInitializer) throws {
        patchSize = c.patchSize
        let fanIn = c.inChannels * c.patchSize * c.patchSize
        // Xavier-uniform over the flattened [D, C·p·p] weight, zero bias (the official initialize_weights).
        let bound = (6 / Float(fanIn + c.hiddenSize)).squareRoot()
        proj = Conv2d(
            weight: try initializer.uniform([c.hiddenSize, c.inChannels, c.patchSize, c.patchSize], bound: bound),
            bias: try initializer.constant([c.hiddenSize], 0), stride: c.patchSize)
    }

    public override var children: [(String, Module)] { [("proj", proj)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let h = try proj(x)  // [N, D, H/p, W/p]
        let (n, d) = (h.shape[0], h.shape[1])
        return try h.reshaped([n, d, h.shape[2] * h.shape[3]]).transposed(1, 2)
    }
}

/// `t_embedder`: the official frequency embedding of t (256 frequencies, [cos, sin]) and
/// mlp = Linear(256, D), SiLU, Linear(D, D).
public final class DiTTimestepEmbedder: Module {
    public static let frequencyDimension = 256
    public let mlp: Sequential

    init(hiddenSize: Int, initializer: ParameterInitializer) throws {
        mlp = Sequential([
            try DiTInitialization.normalLinear(Self.frequencyDimension, hiddenSize, std: 0.02, initializer),
            Activation(.silu), try DiTInitialization.normalLinear(hiddenSize, hiddenSize, std: 0.02, initializer),
        ])
    }

    public override var children: [(String, Module)] { [("mlp", mlp)] }

    /// [B, dim] host values in the official float32 operation order: w_i = exp(−ln(10⁴)·i/half),
    /// [cos(t·w), sin(t·w)] (a zero column appended for odd dim).
    public static func frequencies(_ timesteps: [Int], dimension: Int) -> [Float] {
        SinusoidalEmbedding.rows(timesteps, dimension: dimension, denominator: dimension / 2, cosineFirst: true)
    }

    public func callAsFunction(_ timesteps: [Int], on device: any Device) throws -> Tensor {
        let d = Self.frequencyDimension
        return try mlp(Tensor(Self.frequencies(timesteps, dimension: d), shape: [timesteps.count, d], on: device))
    }
}

/// `y_embedder`: embedding_table [numClasses + 1, D], N(0, 0.02²); row numClasses is the null class.
public final class DiTLabelEmbedder: Module {
    public let table: Embedding

    init(numClasses: Int, hiddenSize: Int, initializer: ParameterInitializer) throws {
        table = Embedding(weight: try initializer.normal([numClasses + 1, hiddenSize], std: 0.02))
    }

    public override var children: [(String, Module)] { [("embedding_table", table)] }
}
