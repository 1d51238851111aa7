import ArgumentParser
import Foundation
import Latent

/// `latent sample CHECKPOINT`: a PNG grid of samples plus the raw samples as safetensors.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw samples from a checkpoint: OUT/samples.png (a grid) and OUT/samples.safetensors, or OUT.png and OUT.safetensors.",
        discussion: """
            samples.safetensors holds `samples` (N x C x H x W, Float32, value range in the metadata) and \
            `labels` for class-conditional diffusion models. The same seed gives the same samples on every backend.
            """)

    @Argument(help: "A checkpoint written by `latent train` (default: the shipped DDPM, else the shipped VAE, under models/).")
    var checkpoint: String?
    @OptionGroup var deviceOptions: DeviceOptions
    @Option(help: "Random seed of the samples.") var seed: UInt64 = 0
    @Option(help: "Output folder, or a grid file NAME.png (the samples then go to NAME.safetensors).") var out = "samples"
    @Option(help: "Number of samples.") var count = 64
    @OptionGroup var samplerArguments: SamplerArguments
    @Option(help: "Class label for every sample (class-conditional models; default: cycle through classes).")
    var label: Int32?
    @Option(help: "VAE prior: normal (N(0, I), default) or gmm:PATH, a Gaussian mixture fitted to its latents (latent train gmm --features).")
    var prior: String?
    @Option(help: "flow: temperature T of the latents z ~ N(0, T²I).") var temperature: Float = 1

    func run() throws {
        try reportingErrors {
            try SampleOutput(out).prepare()
            let device = try deviceOptions.resolve()
            guard let checkpoint = checkpoint ?? ShippedModels.find(ShippedModels.ldm + ShippedModels.ddpm + ShippedModels.vae) else {
                throw ValidationError("no checkpoint given and no shipped model under models/ (run from the repository, or pass one)")
            }
            if self.checkpoint == nil { print("sampling the shipped model \(checkpoint)") }
            let file = try Checkpoint.read(checkpoint)
            if file.modelType == GaussianMixture.modelType {
                return try sampleGaussianMixture(file, path: checkpoint, device: device, count: count, seed: seed, out: out)
            }
            let model = try ModelRegistry.load(file, path: checkpoint, device: device)
            let (images, range, labels) = try draw(model, path: checkpoint, device: device)
            try writeSamples(images, range: range, labels: labels, to: out)
            print("wrote \(images.shape[0]) samples to \(SampleOutput(out))")
        }
    }

    func draw(_ model: any GenerativeModel, path: String, device: any Device) throws -> (Tensor, ClosedRange<Float>, [Int32]?) {
        switch model {
        case let vae as ConvVAE where prior != nil:
            return (try VAEPrior(prior, for: vae).images(vae, count: count, seed: seed, on: device), 0...1, nil)
        case let vae as ConvVAE:
            return (try vae.sample(count: count, noise: NoiseStream(seed: seed), on: device), 0...1, nil)
        case let flow as NormalizingFlow:
            return (try flow.images(count: count, temperature: temperature, seed: seed, batch: 0, on: device), 0...1, nil)
        case let diffusion as any ImageDiffusionModel:
            let options = try samplerArguments.options(seed: seed)
            let labels = diffusion.numClasses.map { k in (0..<count).map { label ?? Int32($0 % k) } }
            var progress = ProgressDisplay(totalSteps: 1, startStep: 0)
            let images = try diffusion.sample(count: count, labels: labels, options: options) { p in
                progress.showSampling(p)
            }
            progress.finish()
            return (images, -1...1, labels)
        default:
            let hint =
                model is VQVAE || model is AutoencoderKL
                ? "use `latent eval` for its reconstructions" : "use `latent eval` for its test figures"
            throw ValidationError("\(path) holds \(withArticle(type(of: model).modelType)) model, which has no prior to sample from; \(hint)")
        }
    }
}

/// Writes the grid and the raw samples where `out` says (see ``SampleOutput``).
func writeSamples(_ images: Tensor, range: ClosedRange<Float>, labels: [Int32]?, to out: String) throws {
    let output = SampleOutput(out)
    let values = try images.toArray()
    try ImageGrid().writePNG(values, shape: images.shape, range: range, to: output.grid)
    try SampleFile(samples: values, shape: images.shape, range: range, labels: labels).write(to: output.tensors)
}
