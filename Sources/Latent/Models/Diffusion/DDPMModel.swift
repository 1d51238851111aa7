import Foundation
import LatentCompute

/// The checkpointed settings of a DDPM: the U-Net and the diffusion process.
/// JSON: {"unet": {"ch": 64, "ch_mult": [1, 2, 2], …}, "diffusion": {"T": 1000, "schedule": …, …}};
/// missing keys take the fmnist-small / Ho et al. defaults, so "{}" is the reference model.
public struct DDPMConfiguration: Codable, Sendable, Equatable {
    public var unet = UNetConfiguration()
    public var diffusion = DiffusionConfiguration()

    public init(unet: UNetConfiguration = UNetConfiguration(), diffusion: DiffusionConfiguration = DiffusionConfiguration()) {
        self.unet = unet
        self.diffusion = diffusion
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        unet = try c.decodeIfPresent(UNetConfiguration.self, forKey: .unet) ?? UNetConfiguration()
        diffusion = try c.decodeIfPresent(DiffusionConfiguration.self, forKey: .diffusion) ?? DiffusionConfiguration()
    }

    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(DDPMConfiguration.self, from: Data(json.utf8))
        } catch {
            throw DiffusionError.invalidConfiguration("cannot read DDPM config JSON (\(error)): \(json)")
        }
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension DiffusionConfiguration {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DiffusionConfiguration()
        timesteps = try c.decodeIfPresent(Int.self, forKey: .timesteps) ?? d.timesteps
        schedule = try c.decodeIfPresent(BetaSchedule.self, forKey: .schedule) ?? d.schedule
        prediction = try c.decodeIfPresent(PredictionTarget.self, forKey: .prediction) ?? d.prediction
        unconditionalProbability = try c.decodeIfPresent(Float.self, forKey: .unconditionalProbability) ?? d.unconditionalProbability
    }
}

/// A denoising diffusion probabilistic model as a `GenerativeModel` ("ddpm"): the U-Net's
/// parameters under their PyTorch names (no prefix: this module's tree is the U-Net's), and the
/// Gaussian diffusion that trains and samples it.
public final class DDPMModel: Module, GenerativeModel {
    public static let modelType = "ddpm"
    public static let pixelScaling = PixelScaling.minusOneToOne

    public let configuration: DDPMConfiguration
    public let unet: UNet
    public let diffusion: GaussianDiffusion

    public init(_ configuration: DDPMConfiguration = DDPMConfiguration(), initializer: ParameterInitializer) throws {
        self.configuration = configuration
        unet = try UNet(configuration.unet, initializer: initializer)
        diffusion = try GaussianDiffusion(configuration.diffusion)
    }

    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(DDPMConfiguration(json: configJSON), initializer: ParameterInitializer(seed: seed, device: device))
    }

    public var configJSON: String { configuration.json }

    // The U-Net's children directly, so names are "temb.0.weight", not "unet.temb.0.weight".
    // (train()/eval() reach every block through them; the U-Net object's own flag is never read.)
    public override var children: [(String, Module)] { unet.children }

    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        try diffusion.trainingLoss(unet, images: images, labels: labels, noise: noise)
    }

    /// `count` images in [−1, 1] (see `GaussianDiffusion.sample`).
    public func sample(
        count: Int, labels: [Int32]? = nil, options: SamplerOptions,
        progress: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        try diffusion.sample(unet, count: count, labels: labels, options: options, progress: progress)
    }
}
