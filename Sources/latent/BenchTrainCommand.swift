import ArgumentParser
import Foundation
import Latent
import LatentBenchmarks

/// `latent bench train`: one training step of the U-Net, the VAE and the VQ-VAE on each backend.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training steps (loss, backward, Adam) of the U-Net, VAE and VQ-VAE on each backend.",
        discussion: """
            Ops unet_train_step (fmnist-small, L_simple, batches 64 and 128), vae_train_step, vqvae_train_step \
            and vqvae_ema_train_step (batch 128), flow_train_step (batch 64; in --quick runs only with a \
            "flow" --config), on the first training images, through the trainer \
            `latent train` uses. Compare with tools/bench_torch.py (*_train_step_b*).
            """)

    @OptionGroup var deviceOptions: BenchDeviceOptions
    @Flag(help: "Fewer repetitions and no batch-128 U-Net step.") var quick = false
    @Flag(help: "Print one JSON object per line.") var json = false
    @Option(help: "Only ops whose name contains this text.") var filter: String?
    @Option(help: "MNIST-format data folder (default: Debian's Fashion-MNIST; random images when it is missing).")
    var data: String?
    @Option(
        help: ArgumentHelp(
            "Model configurations as JSON by model type, e.g. '{\"ddpm\": {\"unet\": {\"ch\": 32}}}'.",
            visibility: .hidden))
    var config = "{}"
    @Option(help: ArgumentHelp("Every op at this batch size instead of 64 and 128.", visibility: .hidden))
    var batch: Int?
    @Option(help: "Clip the gradient norm to this value in every step (as `latent train --clip`).")
    var clip: Float?

    func validate() throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be positive") }
        if let clip, !(clip > 0) { throw ValidationError("--clip must be positive") }
    }

    func run() throws {
        try reportingErrors {
            try benchmark()
        }
    }

    func benchmark() throws {
        let configs = try parseConfigs()
        let dataset: ImageDataset
        if let data {
            dataset = try MNISTFormat.load(.train, from: data)
        } else if let images = try? MNISTFormat.load(.train) {
            dataset = images
        } else {
            printError("Fashion-MNIST not found (\(MNISTFormat.fashionMNISTFolder)); timing on random images")
            dataset = try ModelTrainingBenchmarks.randomImages()
        }
        let cases = try ModelTrainingBenchmarks.cases(
            quick: quick, data: dataset, configs: configs, batch: batch, clip: clip
        )
        .filter { filter == nil || $0.op.contains(filter!) }
        let devices = try deviceOptions.devices()
        if !json { print(BenchmarkResult.header) }
        var failed = false
        for c in cases {
            for d in devices {
                do {
                    let r = try BenchmarkRunner.run(c, on: d, repetitions: quick ? 3 : 5, budgetSeconds: quick ? 1 : 3)
                    print(json ? jsonLine(r.jsonObject.merging(["data": dataset.source]) { $1 }) : r.row)
                } catch {
                    printError("\(c.op) [\(c.shape)] on \(d.name): \(error)")
                    failed = true
                }
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// --config as model type → configuration JSON.
    func parseConfigs() throws -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any] else {
            throw ValidationError("--config must be a JSON object of model configurations by model type, not \(config)")
        }
        var configs: [String: String] = [:]
        for (model, value) in object {
            guard ModelRegistry.names.contains(model), JSONSerialization.isValidJSONObject(value) else {
                throw ValidationError("--config: '\(model)' is not one of \(ModelRegistry.names.joined(separator: ", ")) with a JSON object")
            }
            configs[model] = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        return configs
    }
}
