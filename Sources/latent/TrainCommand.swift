import ArgumentParser
import Foundation
import Latent

/// `latent train MODEL`: trains on Fashion-MNIST (or --data) with progress, metrics, checkpoints and resume.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model (vae, vqvae, ddpm, classifier) with checkpoints, metrics and exact resume.",
        discussion: """
            Writes OUT/checkpoint.safetensors every --checkpoint-every steps, at the end and on Ctrl-C, \
            OUT/metrics.jsonl (one JSON object per logged step) and OUT/loss.svg. --resume continues a run \
            exactly: on the CPU backend, N steps + resume + M steps equals N+M steps bit for bit.
            """)

    @Argument(help: "Model: vae, vqvae, ddpm, or classifier (the FID-FMNIST feature network).") var model: String
    @OptionGroup var deviceOptions: DeviceOptions
    @Option(help: "Random seed for initialisation, noise and data order.") var seed: UInt64 = 0
    @Option(help: "Output folder (created if missing).") var out: String?
    @Option(help: "MNIST-format data folder (default: Debian's Fashion-MNIST, /usr/share/datasets/fashion-mnist).")
    var data: String?
    @Option(help: "Optimizer steps in total (including steps before a resume).") var steps = 2000
    @Option(help: "Batch size.") var batchSize = 128
    @Option(help: "Learning rate (Adam; AdamW when --weight-decay > 0).") var lr: Float = 1e-3
    @Option(help: "Linear learning-rate warm-up steps.") var warmup = 0
    @Flag(help: "Cosine learning-rate decay to 0 at the last step.") var cosine = false
    @Option(help: "AdamW weight decay (0: plain Adam).") var weightDecay: Float = 0
    @Option(help: "Clip gradients to this global norm (0: off).") var clip: Float = 0
    @Option(help: "EMA decay of the weights kept for sampling (0: off).") var ema: Float = 0
    @Option(help: "Model configuration as JSON, e.g. '{\"latent\": 32}' (default: the model's defaults).")
    var config = "{}"
    @Option(help: "Write a checkpoint every N steps.") var checkpointEvery = 500
    @Option(help: "Log a metrics line every N steps.") var logEvery = 50
    @Option(help: "Skip up to N steps whose loss or gradients are NaN or infinite (no update) instead of stopping.")
    var skipNonfinite = 0
    @Option(help: "Continue from this checkpoint (its model config and training state win over flags).")
    var resume: String?

    func validate() throws {
        guard skipNonfinite >= 0 else { throw ValidationError("--skip-nonfinite must be 0 or more, not \(skipNonfinite)") }
    }

    func run() throws {
        try reportingErrors {
            try train()
        }
    }

    func train() throws {
        let device = try deviceOptions.resolve()
        let modelType = try ModelRegistry.type(named: model)
        let outDir = out ?? "runs/\(model)"
        try prepareOutput(outDir)
        let checkpointPath = (outDir as NSString).appendingPathComponent("checkpoint.safetensors")

        let resumed = try resume.map { try Checkpoint.read($0) }
        let dataset = try MNISTFormat.load(.train, from: data ?? MNISTFormat.fashionMNISTFolder)
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: seed, scaling: modelType.pixelScaling)
        let model = try modelType.init(configJSON: resumed?.modelConfig ?? config, device: device, seed: seed)
        let training = TrainingConfiguration(
            steps: steps, batchSize: batchSize, learningRate: lr, warmupSteps: warmup, cosineDecay: cosine,
            weightDecay: weightDecay, gradientClip: clip > 0 ? clip : nil, emaDecay: ema > 0 ? ema : nil, seed: seed,
            skipNonFinite: skipNonfinite)
        let trainer = try Trainer(model: model, configuration: training, loader: loader, device: device)
        if let resumed {
            try trainer.restore(from: resumed)
            print("resumed \(resume!) at step \(trainer.step) (\(trainer.position))")
        }
        print("training \(model.parameterCount) parameters of \(modelType.modelType) on \(device.name) "
            + "(\(dataset.count) images, batch \(batchSize), \(steps) steps) → \(outDir)")

        let metrics = try MetricsLog(path: (outDir as NSString).appendingPathComponent("metrics.jsonl"))
        let interrupt = InterruptFlag()
        var progress = ProgressDisplay(totalSteps: steps, startStep: trainer.step)
        var savedAt: Int? = nil
        func save() throws {
            try trainer.checkpoint().write(to: checkpointPath)
            savedAt = trainer.step
            let svg = LossCurve.svg(metrics.losses, title: "\(modelType.modelType) training loss")
            try Data(svg.utf8).write(to: URL(fileURLWithPath: (outDir as NSString).appendingPathComponent("loss.svg")),
                                     options: .atomic)
        }
        do {
            try trainer.run { report in
                if report.skippedNonFinite {
                    progress.finish()
                    print("step \(report.step): loss or gradients not finite; step skipped "
                        + "(\(trainer.skippedNonFinite) of --skip-nonfinite \(skipNonfinite))")
                }
                progress.show(report, every: logEvery)
                if report.step % logEvery == 0 || report.step == steps {
                    try metrics.append(report, stepsPerSecond: progress.stepsPerSecond(at: report.step), elapsed: progress.elapsed)
                }
                if report.step % checkpointEvery == 0 { try save() }
                return !interrupt.isRaised
            }
        } catch let TrainingError.nonFiniteLoss(step, culprit, skipped, _) {
            progress.finish()
            throw TrainingError.nonFiniteLoss(step: step, culprit: culprit, skipped: skipped,
                                              lastCheckpoint: savedAt == nil && resume == nil ? nil : checkpointPath)
        }
        progress.finish()
        if savedAt != trainer.step { try save() }
        if interrupt.isRaised {
            print("interrupted at step \(trainer.step); checkpoint written to \(checkpointPath) (continue with --resume \(checkpointPath))")
            throw ExitCode(130)
        }
        print("done: step \(trainer.step), checkpoint \(checkpointPath)")
    }
}

/// Creates the output folder and checks it is writable before any work starts.
func prepareOutput(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw ValidationError("cannot create output folder \(path): \(error.localizedDescription); pass a writable --out")
    }
    guard FileManager.default.isWritableFile(atPath: path) else {
        throw ValidationError("output folder \(path) is not writable; pass a writable --out")
    }
}
