import LatentCompute

/// The network a `GaussianDiffusion` trains and samples: the U-Net or the DiT, over pixels or over
/// an autoencoder's latents.
public protocol DiffusionDenoiser: Module {
    var device: any Device { get }
    /// The null-class index for classifier-free guidance (nil for an unconditional network).
    var nullClass: Int? { get }
    /// [C, H, W] of one input.
    var inputShape: [Int] { get }
    /// C for an ε (or v) network; 2C when it also predicts the variance (DiT's learn_sigma).
    var outputChannels: Int { get }
    /// The model output [B, outputChannels, H, W] for x [B, C, H, W] at per-sample timesteps, with Int32
    /// labels [B] (nil: the null class), an optional Float label-dropout mask [B] and, in training
    /// mode, a stream for dropout masks.
    func callAsFunction(
        _ x: Tensor, timesteps: [Int], labels: Tensor?, nullMask: Tensor?,
        dropoutNoise: NoiseStream?
    ) throws -> Tensor
}

extension DiffusionDenoiser {
    /// True when the output carries the variance interpolation after the ε channels.
    public var learnsVariance: Bool { outputChannels != inputShape[0] }

    /// The first C output channels: ε (or v), without the variance channels.
    func prediction(_ output: Tensor) throws -> Tensor {
        learnsVariance ? try output.slice(axis: 1, 0..<inputShape[0]) : output
    }
}

extension UNet: DiffusionDenoiser {
    public var inputShape: [Int] { [configuration.inChannels, configuration.resolution, configuration.resolution] }
    public var outputChannels: Int { configuration.inChannels }
}
