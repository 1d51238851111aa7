import ArgumentParser
import Foundation
import Latent

/// `latent eval CHECKPOINT`: test-split figures as a table or JSON, and reconstructions next to originals.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract:
            "Evaluate a checkpoint on the test split (VAE: -ELBO and IWAE; VQ-VAE: MSE, perplexity, codes in use; DDPM and DiT: bits/dim; flow: exact test bits/dim; autoencoder: MSE, PSNR, FID-FMNIST of reconstructions; LDM: latent L_simple; classifier: accuracy and loss)."
    )

    @Argument(help: "A checkpoint written by `latent train`.") var checkpoint: String
    @OptionGroup var deviceOptions: DeviceOptions
    @Option(help: "Random seed of the evaluation noise.") var seed: UInt64 = 0
    @Option(help: "Output folder for reconstructions.png.") var out = "eval"
    @Option(help: "MNIST-format data folder (default: Debian's Fashion-MNIST).") var data: String?
    @Option(help: "Evaluate only the first N test images (default: all; DDPM: 64, as each image costs T network passes).")
    var limit: Int?
    @Option(help: "Importance samples k of the VAE's IWAE bound (0: skip).") var iwae = 1000
    @Flag(help: "Print one JSON object (and nothing else) on stdout.") var json = false
    @Flag(inversion: .prefixedNo, help: "autoencoder: FID-FMNIST of the reconstructions (needs the shipped classifier or --classifier).")
    var fid = true
    @Option(help: "Classifier checkpoint for the autoencoder's reconstruction FID (default: the shipped one).") var classifier: String?

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
            var rows: [(String, Double)] = [
                ("images", Double(e.images)), ("neg_elbo_nats", e.negativeELBO),
                ("reconstruction_nats", e.reconstruction), ("kl_nats", e.kl),
            ]
            if let iwae = e.negativeIWAE {
                rows += [("neg_iwae_nats_k\(e.iwaeSamples)", iwae), ("iwae_samples", Double(e.iwaeSamples))]
            }
            return rows
        case let vq as VQVAE:
            let e = try vq.evaluate(test, on: device, limit: limit)
            return [
                ("images", Double(e.images)), ("reconstruction_mse", e.reconstructionMSE),
                ("perplexity", e.perplexity), ("codes_in_use", e.codesInUse),
                ("mean_batch_perplexity", e.meanBatchPerplexity),
            ]
        case let autoencoder as AutoencoderKL:
            let e = try autoencoder.evaluate(test, on: device, limit: limit, fid: try reconstructionFID(test, device: device))
            return [("images", Double(e.images)), ("reconstruction_mse", e.reconstructionMSE), ("psnr_db", e.psnr)]
                + (e.reconstructionFID.map { [("reconstruction_fid_fmnist", $0)] } ?? [])
                + [("scale_factor", Double(try autoencoder.scale()))]
        case let ldm as LatentDiffusionModel:
            return [
                ("images", Double(min(limit ?? 1000, test.count))),
                ("latent_mse", try latentDenoisingError(ldm, test, device: device)),
            ]
        case let diffusion as any ImageDiffusionModel:
            let terms = try diffusion.diffusion.variationalBound(
                diffusion.denoiser, dataset: test, limit: limit ?? 64,
                options: VariationalBoundOptions(seed: seed))
            return [
                ("images", Double(terms.images)), ("bits_per_dim", terms.bitsPerDim),
                ("prior_bits_per_dim", terms.priorBitsPerDim),
            ]
        case let flow as NormalizingFlow:
            return try flow.evaluationRows(test, device: device, limit: limit, seed: seed)
        case let classifier as ConvClassifier:
            let e = try classifier.evaluate(test, on: device, limit: limit)
            return [("images", Double(e.images)), ("accuracy", e.accuracy), ("loss_nats", e.loss)]
        default:
            throw ValidationError("no evaluation for \(type(of: model).modelType)")
        }
    }

    /// FID-FMNIST against the test set for the autoencoder's reconstructions, when asked and a classifier is found.
    func reconstructionFID(_ test: ImageDataset, device: any Device) throws -> FIDFMNIST? {
        guard fid else { return nil }
        guard let path = classifier ?? ShippedModels.locate(ShippedModels.classifier) else {
            printError("no classifier at \(ShippedModels.classifier): skipping the reconstruction FID (pass --classifier or --no-fid)")
            return nil
        }
        let file = try Checkpoint.read(path)
        guard let model = try ModelRegistry.load(file, path: path, device: device) as? ConvClassifier else {
            throw ValidationError("\(path) holds a \(file.modelType) model, not a classifier")
        }
        return try FIDFMNIST(classifier: model, test: test, device: device)
    }

    /// L_simple of the LDM's denoiser on the test images' latents (first --limit, default 1000), noise from --seed.
    func latentDenoisingError(_ ldm: LatentDiffusionModel, _ test: ImageDataset, device: any Device) throws -> Double {
        let loader = try BatchLoader(dataset: test, batchSize: 250, seed: 0, shuffle: false, scaling: .minusOneToOne)
        let total = min(limit ?? 1000, test.count), noise = NoiseStream(seed: seed)
        var sum = 0.0, done = 0
        ldm.eval()
        for b in 0..<loader.batchesPerEpoch where done < total {
            let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
            let n = min(batch.shape[0], total - done)
            let loss = try withoutGrad {
                try ldm.trainingLoss(
                    images: batch.imagesTensor(on: device).slice(axis: 0, 0..<n),
                    labels: batch.labelsTensor(on: device).slice(axis: 0, 0..<n), noise: noise)
            }
            sum += Double(try loss.metrics[0].1.item()) * Double(n)
            done += n
        }
        return sum / Double(max(done, 1))
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
        case let autoencoder as AutoencoderKL:
            // It works on [−1, 1].
            reconstructions = try autoencoder.reconstruct(originals.affine(scale: 2, shift: -1)).affine(scale: 0.5, shift: 0.5)
        default: return nil
        }
        let both = try Tensor.concat([originals, reconstructions.clamped(0, 1)], axis: 0)
        let path = "\(out)/reconstructions.png"
        try ImageGrid(columns: 16).writePNG(try both.toArray(), shape: both.shape, range: 0...1, to: path)
        return path
    }
}
