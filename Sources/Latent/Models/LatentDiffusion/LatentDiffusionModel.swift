import Foundation
import LatentCompute

/// Latent diffusion (Rombach et al. 2022) as a `GenerativeModel` ("ldm"): the DDPM/DDIM/CFG machinery
/// over the autoencoder's scaled latents z·scale_factor, with a DiT or U-Net denoiser; sampling decodes
/// at the end. Parameters: the denoiser's, under its own names (no prefix). The autoencoder is frozen and
/// embedded: its state_dict is part of this model's buffers under `first_stage_model.`, so a checkpoint
/// alone samples.
public final class LatentDiffusionModel: Module, ImageDiffusionModel {
    public static let modelType = "ldm"
    public static let pixelScaling = PixelScaling.minusOneToOne
    static let autoencoderPrefix = "first_stage_model."

    public let configuration: LatentDiffusionConfiguration
    public let autoencoder: AutoencoderKL
    public let denoiser: any DiffusionDenoiser
    public let diffusion: GaussianDiffusion
    /// The encoded training set; when set, training draws latents from it by dataset index.
    public var latentCache: LatentCache?

    public init(_ configuration: LatentDiffusionConfiguration, initializer: ParameterInitializer) throws {
        try configuration.validate()
        self.configuration = configuration
        autoencoder = try AutoencoderKL(config: configuration.autoencoder, initializer: initializer)
        switch configuration.denoiser {
        case .dit: denoiser = try DiT(configuration.dit, initializer: initializer)
        case .unet: denoiser = try UNet(configuration.unet, initializer: initializer)
        }
        diffusion = try GaussianDiffusion(configuration.diffusion)
    }

    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(LatentDiffusionConfiguration(json: configJSON), initializer: ParameterInitializer(seed: seed, device: device))
    }

    public var configJSON: String { configuration.json }
    public override var children: [(String, Module)] { denoiser.children }
    public override var localBuffers: [(String, Tensor)] {
        autoencoder.stateDict().map { (Self.autoencoderPrefix + $0.0, $0.1) }
    }
    public var numClasses: Int? { configuration.numClasses }
    public var imageShape: [Int] {
        [configuration.autoencoder.inChannels, configuration.autoencoder.resolution, configuration.autoencoder.resolution]
    }
    public var latentShape: [Int] { configuration.autoencoder.latentShape }

    /// Loads the autoencoder's weights (and scale factor) from an autoencoder checkpoint's weights.
    public func loadAutoencoder(_ weights: [String: (shape: [Int], values: [Float])]) throws {
        try autoencoder.load(weights)
        autoencoder.eval()
    }

    /// Training on scaled latents: from the cache when the batch's images are in it, else encoded now.
    public func trainingLoss(batch: Batch, device: any Device, noise: NoiseStream) throws -> TrainingLoss {
        guard let cache = latentCache else {
            return try trainingLoss(images: batch.imagesTensor(on: device), labels: batch.labelsTensor(on: device), noise: noise)
        }
        let (mean, std) = cache.rows(batch.indices)
        let shape = [batch.indices.count] + latentShape
        let eps = try Tensor.randomNormal(
            shape, seed: noise.seed, offset: noise.takeRows(shape[0], perRow: latentShape.reduce(1, *)),
            on: device)
        let z = try withoutGrad { try Tensor(mean, shape: shape, on: device) + Tensor(std, shape: shape, on: device) * eps }
        return try diffusion.trainingLoss(denoiser, images: z * autoencoder.scaleFactor, labels: batch.labelsTensor(on: device), noise: noise)
    }

    /// Training from images: z = mean + std·ε from the frozen encoder, scaled, then L_simple.
    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        let z = try withoutGrad { () -> Tensor in
            let (mean, logvar) = try autoencoder.encode(images)
            let eps = try Tensor.randomNormal(
                mean.shape, seed: noise.seed, offset: noise.takeRows(mean.shape[0], perRow: mean.count / mean.shape[0]),
                on: images.device)
            return try mean + (logvar * 0.5).exp() * eps
        }
        return try diffusion.trainingLoss(denoiser, images: z * autoencoder.scaleFactor, labels: labels, noise: noise)
    }

    /// Scaled latents [count, z, h, w] drawn by the sampler (never clipped: latents are not in [−1, 1]).
    public func sampleLatents(
        count: Int, labels: [Int32]?, options: SamplerOptions,
        progress: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        var latentOptions = options
        latentOptions.clipDenoised = false
        return try diffusion.sample(denoiser, count: count, labels: labels, options: latentOptions, progress: progress)
    }

    /// Images in [−1, 1]: latents sampled, divided by the scale factor, decoded and clamped.
    /// (`options.clipDenoised` is ignored; with `stopAfter` the partly denoised latents are decoded.)
    public func sample(
        count: Int, labels: [Int32]?, options: SamplerOptions,
        progress: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        let latents = try sampleLatents(count: count, labels: labels, options: options, progress: progress)
        return try withoutGrad { try autoencoder.decode(latents * (1 / autoencoder.scale())).clamped(-1, 1) }
    }
}
