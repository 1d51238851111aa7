import LatentCompute

/// A diffusion model that draws images: the pixel DDPM (U-Net), the pixel DiT ("dit") and the latent
/// diffusion model ("ldm"). `latent sample`, `fid`, `bench sample` and `demo` take any of them.
public protocol ImageDiffusionModel: GenerativeModel {
    var diffusion: GaussianDiffusion { get }
    /// The network the diffusion runs (over pixels, or over latents for the LDM).
    var denoiser: any DiffusionDenoiser { get }
    /// Classes of a class-conditional model (nil: unconditional).
    var numClasses: Int? { get }
    /// [C, H, W] of the images `sample` returns.
    var imageShape: [Int] { get }
    /// `count` images [count, C, H, W] in [−1, 1] (see `GaussianDiffusion.sample`).
    func sample(count: Int, labels: [Int32]?, options: SamplerOptions, progress: ((SamplingProgress) -> Void)?) throws -> Tensor
}

extension DDPMModel: ImageDiffusionModel {
    public var denoiser: any DiffusionDenoiser { unet }
    public var numClasses: Int? { configuration.unet.numClasses }
    public var imageShape: [Int] { unet.inputShape }
}
