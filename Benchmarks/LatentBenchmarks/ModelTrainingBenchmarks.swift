import Foundation
import Latent
import LatentCompute

/// `latent bench train`: one optimizer step of each model through `Trainer.trainStep` (the loss,
/// backward, Adam and post-step path `latent train` runs), on the first images of a dataset, with
/// the ops and batch sizes of tools/bench_torch.py.
public enum ModelTrainingBenchmarks {
    /// `configs` maps a model type ("ddpm", "vae", "vqvae") to its configuration JSON (default "{}",
    /// the reference models); vqvae_ema_train_step is the VQ-VAE's with "ema": true added.
    /// `batch` replaces every op's batch size (64 and 128) when set; `clip` clips every step's
    /// gradient norm.
    public static func cases(
        quick: Bool, data: ImageDataset, configs: [String: String] = [:],
        batch: Int? = nil, clip: Float? = nil
    ) throws -> [BenchmarkCase] {
        func name(_ model: String, _ reference: String) -> String { configs[model] == nil ? reference : "\(model) custom" }
        let unet = configs["ddpm"] ?? "{}", vae = configs["vae"] ?? "{}", vq = configs["vqvae"] ?? "{}"
        let autoencoder = configs["autoencoder"] ?? "{}", dit = configs["dit"] ?? "{}", ldm = configs["ldm"] ?? "{}"
        let unetBatches = batch.map { [$0] } ?? (quick ? [64] : [64, 128])
        return unetBatches.map { b in
            step(
                "unet_train_step", DDPMModel.self, config: unet, name: name("ddpm", "fmnist-small"), batch: b,
                learningRate: 2e-4, data: data, clip: clip)
        } + [
            step(
                "vae_train_step", ConvVAE.self, config: vae, name: name("vae", "fmnist-conv"), batch: batch ?? 128,
                learningRate: 1e-3, data: data, clip: clip),
            step(
                "vqvae_train_step", VQVAE.self, config: vq, name: name("vqvae", "fmnist-vq"), batch: batch ?? 128,
                learningRate: 1e-3, data: data, clip: clip),
            step(
                "vqvae_ema_train_step", VQVAE.self, config: try withEMA(vq), name: name("vqvae", "fmnist-vq") + " ema",
                batch: batch ?? 128, learningRate: 1e-3, data: data, clip: clip),
        ]
            + unetBatches.flatMap { b in
                [
                    step(
                        "autoencoder_train_step", AutoencoderKL.self, config: autoencoder, name: name("autoencoder", "small"), batch: b,
                        learningRate: 1e-3, data: data, clip: clip),
                    step(
                        "ldm_train_step", LatentDiffusionModel.self, config: ldm, name: name("ldm", "DiT-mini/1 on 4x7x7"), batch: b,
                        learningRate: 1e-4, data: data, clip: clip),
                    step(
                        "dit_train_step", DiTDiffusionModel.self, config: dit, name: name("dit", "DiT-mini/4 on pixels"), batch: b,
                        learningRate: 1e-4, data: data, clip: clip),
                ]
            } + flowCases(quick: quick, data: data, configs: configs, batch: batch)
    }

    /// The flow's training step (batch 64): in full runs, and in quick ones when its config is given.
    static func flowCases(quick: Bool, data: ImageDataset, configs: [String: String], batch: Int?) -> [BenchmarkCase] {
        guard !quick || configs["flow"] != nil else { return [] }
        let name = configs["flow"] == nil ? "2 levels × 8 steps, hidden 96" : "flow custom"
        return [
            step(
                "flow_train_step", NormalizingFlow.self, config: configs["flow"] ?? "{}", name: name, batch: batch ?? 64,
                learningRate: 1e-3, data: data)
        ]
    }

    /// Times `Trainer.trainStep` of a `type` model on the first `batch` images of `data`.
    static func step(
        _ op: String, _ type: any GenerativeModel.Type, config: String, name: String, batch: Int,
        learningRate: Float, data: ImageDataset, clip: Float? = nil
    ) -> BenchmarkCase {
        BenchmarkCase(op: op, shape: "batch \(batch) \(name)", items: Double(batch)) { device in
            let images = try firstImages(of: data, count: batch)
            let loader = try BatchLoader(dataset: images, batchSize: batch, seed: 0, shuffle: false, scaling: type.pixelScaling)
            let model = try type.init(configJSON: config, device: device, seed: 0)
            let training = TrainingConfiguration(
                steps: Int.max, batchSize: batch, learningRate: learningRate, gradientClip: clip)
            if let ldm = model as? LatentDiffusionModel {
                // Training reads the cached latents, as `latent train ldm` does (encoded once, untimed).
                ldm.latentCache = try LatentCache.encode(images, with: ldm.autoencoder, fingerprint: "bench")
            }
            let trainer = try Trainer(model: model, configuration: training, loader: loader, device: device)
            let first = try loader.batch(at: .start)
            return { try trainer.trainStep(on: first) }
        }
    }

    /// The first `count` images of `data`, repeated from the start when it holds fewer.
    static func firstImages(of data: ImageDataset, count: Int) throws -> ImageDataset {
        guard data.count > 0 else { throw ComputeError.invalidArgument("the dataset holds no images") }
        let indices = (0..<count).map { $0 % data.count }
        let size = data.imageSize
        return try ImageDataset(
            pixels: indices.flatMap { data.pixels[($0 * size)..<(($0 + 1) * size)] },
            labels: indices.map { data.labels[$0] }, channels: data.channels,
            height: data.height, width: data.width, source: data.source)
    }

    /// Fashion-MNIST-shaped images of uniform noise, for machines without the dataset.
    public static func randomImages(count: Int = 128) throws -> ImageDataset {
        let pixels = (0..<(count * 784)).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 13) }
        return try ImageDataset(
            pixels: pixels, labels: (0..<count).map { Int32($0 % 10) }, channels: 1, height: 28, width: 28,
            source: "random")
    }

    /// The VQ-VAE configuration JSON with "ema": true.
    static func withEMA(_ json: String) throws -> String {
        guard var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw ComputeError.invalidArgument("the VQ-VAE config must be a JSON object, not \(json)")
        }
        object["ema"] = true
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
