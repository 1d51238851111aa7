import Foundation
import LatentCompute

/// The latent-diffusion first stage (`AutoencoderKL` of Rombach et al. 2022, small), layer for layer and
/// name for name python/latent_torch/autoencoder.py: encoder → quant_conv → diagonal Gaussian
/// q(z|x) = N(mean, exp(logvar)) over [z, H/4, W/4]; post_quant_conv → decoder. Images in [−1, 1].
///
/// Training minimises Σ_pixels (x̂ − x)² + kl_weight·KL(q(z|x) ‖ N(0, I)) per image (batch mean), with
/// one reparameterised z per image. The buffer `scale_factor` (1/std of training latents, LDM's
/// scale_factor) is stored with the weights; `latent train autoencoder` sets it at every checkpoint.
public final class AutoencoderKL: Module, GenerativeModel {
    public static let modelType = "autoencoder"
    public static let pixelScaling = PixelScaling.minusOneToOne

    public let config: AutoencoderConfig
    public let device: any Device
    let encoder: AutoencoderEncoder
    let decoder: AutoencoderDecoder
    public let quantConv: Conv2d
    public let postQuantConv: Conv2d
    /// [1]: latents are multiplied by it before diffusion and divided by it before decoding.
    public private(set) var scaleFactor: Tensor

    public init(config: AutoencoderConfig = AutoencoderConfig(), initializer: ParameterInitializer) throws {
        try config.validate()
        self.config = config
        device = initializer.device
        let z = config.latentChannels
        encoder = try AutoencoderEncoder(config, initializer: initializer)
        decoder = try AutoencoderDecoder(config, initializer: initializer)
        quantConv = try Conv2d(2 * z, 2 * z, kernelSize: 1, initializer: initializer)
        postQuantConv = try Conv2d(z, z, kernelSize: 1, initializer: initializer)
        scaleFactor = try Tensor([1], shape: [1], on: initializer.device)
    }

    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(config: AutoencoderConfig(json: configJSON), initializer: ParameterInitializer(seed: seed, device: device))
    }

    public var configJSON: String { config.json }
    public var latentShape: [Int] { config.latentShape }

    public override var localBuffers: [(String, Tensor)] { [("scale_factor", scaleFactor)] }
    public override var children: [(String, Module)] {
        [("encoder", encoder), ("decoder", decoder), ("quant_conv", quantConv), ("post_quant_conv", postQuantConv)]
    }

    /// The scale factor as a host number.
    public func scale() throws -> Float { try scaleFactor.item() }

    /// Sets the scale factor (a fresh tensor, so a checkpoint taken later stores it).
    public func setScale(_ value: Float) throws {
        guard value.isFinite, value > 0 else { throw ComputeError.invalidArgument("latent scale factor must be positive, not \(value)") }
        scaleFactor = try Tensor([value], shape: [1], on: device)
    }

    func checkImages(_ x: Tensor) throws {
        let c = config
        guard x.rank == 4, Array(x.shape.dropFirst()) == [c.inChannels, c.resolution, c.resolution] else {
            throw ComputeError.shapeMismatch("the autoencoder takes images [N, \(c.inChannels), \(c.resolution), \(c.resolution)], got \(x.shape)")
        }
    }

    /// q(z|x): mean and log-variance (clamped to [−30, 20] like LDM), each [N, z, H/f, W/f].
    public func encode(_ images: Tensor, dropoutNoise: NoiseStream? = nil) throws -> (mean: Tensor, logvar: Tensor) {
        try checkImages(images)
        let moments = try quantConv(encoder(images, dropoutNoise: dropoutNoise))
        let z = config.latentChannels
        return (try moments.slice(axis: 1, 0..<z), try moments.slice(axis: 1, z..<(2 * z)).clamped(-30, 20))
    }

    /// Images [N, C, H, W] (unclamped, about [−1, 1]) from unscaled latents z [N, z, H/f, W/f].
    public func decode(_ z: Tensor, dropoutNoise: NoiseStream? = nil) throws -> Tensor {
        guard z.rank == 4, Array(z.shape.dropFirst()) == latentShape else {
            throw ComputeError.shapeMismatch(
                "the autoencoder decodes latents [N, \(latentShape.map(String.init).joined(separator: ", "))], got \(z.shape)")
        }
        return try decoder(postQuantConv(z), dropoutNoise: dropoutNoise)
    }

    /// The loss for images [N, C, H, W] in [−1, 1] with the reparameterisation noise `eps` given
    /// explicitly (the fixture tests feed PyTorch's): rec and kl per image, averaged over the batch.
    public func loss(images: Tensor, eps: Tensor, dropoutNoise: NoiseStream? = nil) throws -> AutoencoderLoss {
        let (mean, logvar) = try encode(images, dropoutNoise: dropoutNoise)
        guard eps.shape == mean.shape else { throw ComputeError.shapeMismatch("autoencoder noise \(eps.shape), expected \(mean.shape)") }
        let z = try mean + (logvar * 0.5).exp() * eps
        let reconstruction = try decode(z, dropoutNoise: dropoutNoise)
        let n = Float(images.shape[0])
        let rec = try (reconstruction - images).square().sum().affine(scale: 1 / n)
        let kl = try Tensor.gaussianKL(mean: mean, logVariance: logvar).affine(scale: 1 / n)
        let total = try rec + kl * Float(config.klWeight)
        return AutoencoderLoss(loss: total, reconstruction: rec, kl: kl, output: reconstruction)
    }

    /// The training loss with eps drawn from `noise`, then dropout masks.
    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        let shape = [images.shape[0]] + latentShape
        // Per image rows of the stream, so a data-parallel shard draws what one process would.
        let eps = try Tensor.randomNormal(
            shape, seed: noise.seed, offset: noise.takeRows(shape[0], perRow: latentShape.reduce(1, *)),
            on: images.device)
        let result = try loss(images: images, eps: eps, dropoutNoise: noise)
        let mse = try result.reconstruction.affine(scale: 1 / Float(images.count / images.shape[0]))
        return TrainingLoss(loss: result.loss, metrics: [("rec", result.reconstruction), ("kl", result.kl), ("mse", mse)])
    }

    /// Reconstructions of images in [−1, 1] through the posterior means (no gradients).
    public func reconstruct(_ images: Tensor) throws -> Tensor {
        try withoutGrad { try decode(encode(images).mean) }
    }
}

/// One evaluation of the autoencoder objective (per image, averaged over the batch).
public struct AutoencoderLoss {
    /// rec + kl_weight·kl: what training minimises.
    public let loss: Tensor
    /// Σ_pixels (x̂ − x)² per image.
    public let reconstruction: Tensor
    /// KL(q(z|x) ‖ N(0, I)) per image, nats.
    public let kl: Tensor
    /// x̂ [N, C, H, W].
    public let output: Tensor
}
