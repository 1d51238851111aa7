import Foundation
import LatentCompute

/// One scale of the flow: its steps of flow (state_dict names "steps.<i>").
public final class FlowLevel: Module {
    public let steps: [FlowStep]

    init(steps: [FlowStep]) { self.steps = steps }

    public override var children: [(String, Module)] { steps.enumerated().map { ("steps.\($0.offset)", $0.element) } }
}

/// A multi-scale Glow/RealNVP normalizing flow for images (its PyTorch twin is
/// `latent_torch.flow.NormalizingFlow` in the repository's python/ folder, name for name).
///
/// x ∈ {0, …, 255}/255 → dequantise v = (x·255 + u)/256 → logit transform → per level: squeeze 2×2 →
/// `stepsPerLevel` × (ActNorm → invertible 1×1 conv → affine coupling) → (all but the last level)
/// the second half of the channels is factored out as z_l ~ N(0, I). The last level's output is the
/// last z. log p(v) = Σ log N(z_l; 0, I) + Σ log|det|, and on the discrete data
/// bits/dim = −(log p(v) − D·log 256)/(D·ln 2). Training minimises the batch mean of bits/dim.
public final class NormalizingFlow: Module, GenerativeModel {
    public static let modelType = "flow"
    public static let pixelScaling = PixelScaling.zeroToOne

    public let config: FlowConfiguration
    public let levels: [FlowLevel]
    public let logit: LogitTransform
    public var configJSON: String { config.json }

    public init(config: FlowConfiguration = FlowConfiguration(), initializer: ParameterInitializer) throws {
        try config.validate()
        self.config = config
        logit = LogitTransform(alpha: Float(config.alpha))
        levels = try (0..<config.levels).map { level in
            let channels = config.levelShape(level).channels
            return FlowLevel(
                steps: try (0..<config.stepsPerLevel).map { _ in
                    try FlowStep(channels: channels, hidden: config.hidden, scale: config.coupling, initializer: initializer)
                })
        }
    }

    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(config: FlowConfiguration(json: configJSON), initializer: ParameterInitializer(seed: seed, device: device))
    }

    public override var children: [(String, Module)] { levels.enumerated().map { ("levels.\($0.offset)", $0.element) } }

    /// The shapes (without the batch axis) of the latents z_0 … z_L, in the order `encode` returns them.
    public var latentShapes: [[Int]] {
        (0..<config.levels).map { level in
            let (c, side) = config.levelShape(level)
            return [level < config.levels - 1 ? c / 2 : c, side, side]
        }
    }

    func checkImages(_ v: Tensor) throws {
        let expected = [config.channels, config.imageSize, config.imageSize]
        guard v.rank == 4, v.shape[0] > 0, Array(v.shape.dropFirst()) == expected else {
            throw ComputeError.shapeMismatch("the flow takes images [N, \(expected.map(String.init).joined(separator: ", "))], got \(v.shape)")
        }
    }

    /// Dequantised images v [N, C, H, W] in (0, 1) → the latents z_l and log p(v) per image [N] (nats).
    public func encode(_ v: Tensor) throws -> (z: [Tensor], logLikelihood: Tensor) {
        try checkImages(v)
        var (h, logDet) = try logit.forward(v)
        var z: [Tensor] = []
        for (index, level) in levels.enumerated() {
            h = try h.squeezed2x2()
            for step in level.steps {
                let (y, d) = try step.forward(h)
                h = y
                logDet = try logDet + d
            }
            if index < levels.count - 1 {
                let c = h.shape[1]
                z.append(try h.slice(axis: 1, (c / 2)..<c))
                h = try h.slice(axis: 1, 0..<(c / 2))
            }
        }
        z.append(h)
        let halfLog2Pi = Float(0.5 * Foundation.log(2 * Double.pi))
        var logPrior = try z[0].square().sumPerImage()
        for zl in z.dropFirst() { logPrior = try logPrior + zl.square().sumPerImage() }
        logPrior = try logPrior.affine(scale: -0.5, shift: -halfLog2Pi * Float(config.dimensions))
        return (z, try logPrior + logDet)
    }

    /// Bits per dimension of the discrete images per image [N], from log p(v) [N] of their dequantised values.
    public func bitsPerDim(logLikelihood: Tensor) throws -> Tensor {
        let d = Double(config.dimensions)
        return try logLikelihood.affine(scale: Float(-1 / (d * M_LN2)), shift: Float(Foundation.log(256.0) / M_LN2))
    }

    /// Latents → dequantised images in [0, 1] (clamped), through every layer's inverse.
    public func decode(_ z: [Tensor]) throws -> Tensor {
        guard z.count == levels.count else {
            throw ComputeError.shapeMismatch("the flow has \(levels.count) levels, got \(z.count) latents")
        }
        var h = z[z.count - 1]
        for index in stride(from: levels.count - 1, through: 0, by: -1) {
            if index < levels.count - 1 { h = try Tensor.concat([h, z[index]], axis: 1) }
            for step in levels[index].steps.reversed() { h = try step.inverse(h) }
            h = try h.unsqueezed2x2()
        }
        return try logit.inverse(h).clamped(0, 1)
    }

    /// `count` images from latents z ~ N(0, T²·I) drawn from Philox stream `noise`.
    public func sample(count: Int, temperature: Float = 1, noise: NoiseStream, on device: any Device) throws -> Tensor {
        guard count > 0 else { throw ComputeError.invalidArgument("sample count must be positive, not \(count)") }
        guard temperature >= 0, temperature.isFinite else {
            throw ComputeError.invalidArgument("temperature must be finite and >= 0, not \(temperature)")
        }
        return try withoutGrad {
            let z = try latentShapes.map { shape in
                let size = shape.reduce(1, *)
                return try Tensor.randomNormal([count] + shape, seed: noise.seed, offset: noise.take(count * size), std: temperature, on: device)
            }
            return try decode(z)
        }
    }

    /// Mean bits/dim of `images` (pixels k/255) with the dequantisation noise `uniform` (same shape).
    public func loss(images: Tensor, uniform: Tensor) throws -> (loss: Tensor, bitsPerDim: Tensor) {
        let (_, logLikelihood) = try encode(LogitTransform.dequantize(images, uniform: uniform))
        let bpd = try bitsPerDim(logLikelihood: logLikelihood)
        return (try bpd.mean(), bpd)
    }

    /// Data-parallel training: ActNorm's first-batch statistics are pooled over `group`'s ranks.
    public func join(_ group: any ProcessGroup) {
        for level in levels { for step in level.steps { step.actnorm.group = group } }
    }

    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        try checkImages(images)
        let n = images.shape[0]
        let u = try Tensor.randomUniform(
            images.shape, seed: noise.seed, offset: noise.takeRows(n, perRow: config.dimensions), on: images.device)
        return TrainingLoss(loss: try loss(images: images, uniform: u).loss)
    }
}
