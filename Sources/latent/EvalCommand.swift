import ArgumentParser
import Foundation
import Latent

/// `latent eval CHECKPOINT`: test-split figures as a table or JSON, and reconstructions next to originals.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the test split (VAE: -ELBO and IWAE; VQ-VAE: MSE, perplexity, codes in use; DDPM: bits/dim; classifier: accuracy and loss).")

    @Argument(help: "A checkpoint written by `latent train`.") var checkpoint: String
    @OptionGroup var deviceOptions: DeviceOptions
    @Option(help: "Random seed of the evaluation noise.") var seed: UInt64 = 0
    @Option(help: "Output folder for reconstructions.png.") var out = "eval"
    @Option(help: "MNIST-format data folder (default: Debian's Fashion-MNIST).") var data: String?
    @Option(help: "Evaluate only the first N test images (default: all; DDPM: 64, as each image costs T network passes).")
    var limit: Int?
    @Option(help: "Importance samples k of the VAE's IWAE bound (0: skip).") var iwae = 1000
    @Flag(help: "Print one JSON object (and nothing else) on stdout.") var json = false

    /// Figures that count things, printed without decimals.
    static let counts: Set<String> = ["images", "iwae_samples"]

    func validate() throws {
        guard iwae >= 0 else { throw ValidationError("--iwae must be >= 0 (0 skips the IWAE bound), not \(iwae)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
    }

    func run() throws {
        try reportingErrors {
            try prepareOutput(out)
            let device = try deviceOptions.resolve()
            let file = try Checkpoint.read(checkpoint)
            let figures: [(String, Double)]
            var picture: String? = nil
            if file.modelType == GaussianMixture.modelType {
                figures = try evaluateGaussianMixture(file, path: checkpoint, device: device, data: data)
            } else {
                let model = try ModelRegistry.load(file, path: checkpoint, device: device)
                let test = try MNISTFormat.load(.test, from: data ?? MNISTFormat.fashionMNISTFolder)
                figures = try evaluate(model, test, device: device)
                picture = try writeReconstructions(model, test, device: device)
            }
            if json {
                var object = figures.reduce(into: [String: Any]()) { $0[$1.0] = $1.1 }
                object["reconstructions_png"] = picture
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for (name, value) in figures {
                    print(pad(name, 28) + (Self.counts.contains(name) ? String(Int(value)) : String(format: "%.4f", value)))
                }
                if let picture { print("wrote \(picture) (originals above, reconstructions below)") }
            }
        }
    }

    func evaluate(_ model: any GenerativeModel, _ test: ImageDataset, device: any Device) throws -> [(String, Double)] {
        switch model {
        case let vae as ConvVAE:
            let e = try vae.evaluate(test, on: device, limit: limit, iwaeSamples: iwae, seed: seed)
            var rows: [(String, Double)] = [("images", Double(e.images)), ("neg_elbo_nats", e.negativeELBO),
                                            ("reconstruction_nats", e.reconstruction), ("kl_nats", e.kl)]
            if let iwae = e.negativeIWAE {
                rows += [("neg_iwae_nats_k\(e.iwaeSamples)", iwae), ("iwae_samples", Double(e.iwaeSamples))]
            }
            return rows
        case let vq as VQVAE:
            let e = try vq.evaluate(test, on: device, limit: limit)
            return [("images", Double(e.images)), ("reconstruction_mse", e.reconstructionMSE),
                    ("perplexity", e.perplexity), ("codes_in_use", e.codesInUse),
                    ("mean_batch_perplexity", e.meanBatchPerplexity)]
        case let ddpm as DDPMModel:
            let terms = try ddpm.diffusion.variationalBound(ddpm.unet, dataset: test, limit: limit ?? 64,
                                                           options: VariationalBoundOptions(seed: seed))
            return [("images", Double(terms.images)), ("bits_per_dim", terms.bitsPerDim),
                    ("prior_bits_per_dim", terms.priorBitsPerDim)]
        case let classifier as ConvClassifier:
            let e = try classifier.evaluate(test, on: device, limit: limit)
            return [("images", Double(e.images)), ("accuracy", e.accuracy), ("loss_nats", e.loss)]
        default:
            throw ValidationError("no evaluation for \(type(of: model).modelType)")
        }
    }

    /// Originals (top half) above their reconstructions (bottom half) for the autoencoders; returns
    /// the picture's path (nil for models without reconstructions).
    func writeReconstructions(_ model: any GenerativeModel, _ test: ImageDataset, device: any Device) throws -> String? {
        let loader = try BatchLoader(dataset: test, batchSize: 32, seed: 0, shuffle: false, scaling: .zeroToOne)
        let originals = try loader.batch(at: .start).imagesTensor(on: device)
        let reconstructions: Tensor
        switch model {
        case let vae as ConvVAE: reconstructions = try vae.reconstruct(originals)
        case let vq as VQVAE: reconstructions = try vq.reconstruct(originals)
        default: return nil
        }
        let both = try Tensor.concat([originals, reconstructions.clamped(0, 1)], axis: 0)
        let path = "\(out)/reconstructions.png"
        try ImageGrid(columns: 16).writePNG(try both.toArray(), shape: both.shape, range: 0...1, to: path)
        return path
    }
}
