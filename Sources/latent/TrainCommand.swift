import ArgumentParser
import Foundation
import Latent

/// `latent train MODEL`: trains on Fashion-MNIST (or --data) with progress, metrics, checkpoints and resume.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model (vae, vqvae, ddpm, classifier, autoencoder, dit, ldm, flow) with checkpoints, metrics and exact resume.",
        discussion: """
            Writes OUT/checkpoint.safetensors every --checkpoint-every steps, at the end and on Ctrl-C, \
            OUT/metrics.jsonl (one JSON object per logged step) and OUT/loss.svg. --resume continues a run \
            exactly: on the CPU backend, N steps + resume + M steps equals N+M steps bit for bit. \
            autoencoder: the latent scale factor (1/std of training latents) is estimated at every checkpoint. \
            ldm: --autoencoder names the autoencoder checkpoint (its weights are embedded in the LDM's); the \
            training set is encoded once into OUT/latents.safetensors, which --resume reuses.
            """)

    @Argument(
        help:
            "Model: vae, vqvae, ddpm, classifier (the FID-FMNIST feature network), autoencoder, dit, ldm, flow (a Glow/RealNVP normalizing flow), or gmm (a Gaussian mixture, by EM)."
    )
    var model: String
    @OptionGroup var deviceOptions: DeviceOptions
    @Option(help: "Random seed for initialisation, noise and data order.") var seed: UInt64 = 0
    @Option(help: "Output folder (created if missing).") var out: String?
    @Option(help: "MNIST-format data folder (default: Debian's Fashion-MNIST, /usr/share/datasets/fashion-mnist).")
    var data: String?
    @Option(help: "Optimizer steps in total (including steps before a resume).") var steps = 2000
    @Option(help: "Batch size (per rank under mpirun; see --global-batch-size).") var batchSize = 128
    @Option(
        help: ArgumentHelp(
            "Batch size summed over all ranks under mpirun, split between them, so a run means "
                + "the same for any number of ranks (default: --batch-size × ranks).", valueName: "n"))
    var globalBatchSize: Int?
    @Option(help: "Seconds a rank waits for the others in a collective before stopping with an error (under mpirun).")
    var mpiTimeout: Double = 600
    @Option(help: "Learning rate (Adam; AdamW when --weight-decay > 0).") var lr: Float = 1e-3
    @Option(help: "Linear learning-rate warm-up steps.") var warmup = 0
    @Flag(help: "Cosine learning-rate decay to 0 at the last step.") var cosine = false
    @Option(help: "AdamW weight decay (0: plain Adam).") var weightDecay: Float = 0
    @Option(help: "Clip gradients to this global norm (0: off).") var clip: Float = 0
    @Option(help: "EMA decay of the weights kept for sampling (0: off).") var ema: Float = 0
    @Flag(help: "Warm the EMA up: step n averages with decay min(--ema, (1 + n)/(10 + n)).") var emaWarmup = false
    @Option(help: "Model configuration as JSON, e.g. '{\"latent\": 32}' (default: the model's defaults).")
    var config = "{}"
    @Option(help: "Write a checkpoint every N steps.") var checkpointEvery = 500
    @Option(help: "Log a metrics line every N steps.") var logEvery = 50
    @Option(help: "Skip up to N steps whose loss or gradients are NaN or infinite (no update) instead of stopping.")
    var skipNonfinite = 0
    @Option(help: "Continue from this checkpoint (its model config and training state win over flags).")
    var resume: String?
    @Option(help: "ldm: the autoencoder checkpoint whose latents the model learns (not needed with --resume).")
    var autoencoder: String?
    @Option(help: "autoencoder: training images the latent scale factor is estimated from.") var scaleImages = 5000
    @OptionGroup(title: "Gaussian mixture (gmm)") var gmm: GaussianMixtureOptions

    func validate() throws {
        guard skipNonfinite >= 0 else { throw ValidationError("--skip-nonfinite must be 0 or more, not \(skipNonfinite)") }
        guard !emaWarmup || ema > 0 else { throw ValidationError("--ema-warmup needs --ema DECAY") }
        guard logEvery >= 1 else { throw ValidationError("--log-every must be 1 or more, not \(logEvery)") }
    }

    func run() throws {
        guard MPIProcessGroup.launchedByMPI() else {
            return try reportingErrors { try train(group: SingleProcess()) }
        }
        let group: MPIProcessGroup
        do {
            group = try MPIProcessGroup(timeout: mpiTimeout)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        try trainAsRank(of: group)
    }

    /// One rank of an mpirun launch: errors end this process without MPI_Finalize, which makes mpirun
    /// stop the other ranks; an error every rank meets at the same point is printed by rank 0 only.
    func trainAsRank(of group: MPIProcessGroup) throws {
        do {
            try train(group: group)
        } catch let exit as ExitCode {
            group.finalize()
            throw exit
        } catch {
            if group.isRoot || !isMetByAllRanks(error) { printError("error: rank \(group.rank): \(error)") }
            Foundation.exit(1)
        }
        group.finalize()
    }

    /// Errors every rank meets at the same point, which rank 0 alone reports.
    func isMetByAllRanks(_ error: any Error) -> Bool {
        if error is ValidationError || error is TrainingError { return true }
        switch error as? DistributedError {
        case .mismatchedRanks?, .invalidLayout?: return true
        default: return false
        }
    }

    func train(group: any ProcessGroup) throws {
        let device = try deviceOptions.resolve()
        if model == GaussianMixture.modelType {
            return try trainGaussianMixture(gmm, device: device, seed: seed, out: out ?? "runs/gmm", data: data)
        }
        let modelType = try ModelRegistry.type(named: model)
        let outDir = out ?? "runs/\(model)"
        let root = group.isRoot
        if root { try prepareOutput(outDir) }
        let checkpointPath = (outDir as NSString).appendingPathComponent("checkpoint.safetensors")

        let resumed = try Checkpoint.broadcast(readingOnRoot: resume, group: group)
        if let resumed, resumed.modelType != modelType.modelType {
            throw ValidationError("\(resume!) holds \(withArticle(resumed.modelType)) model, not \(withArticle(modelType.modelType)) one")
        }
        let dataset = try MNISTFormat.load(.train, from: data ?? MNISTFormat.fashionMNISTFolder)
        let batch = globalBatchSize ?? batchSize * group.size
        if group.size > 1 { try validateDataParallelLayout(globalBatch: batch, ranks: group.size, images: dataset.count) }
        let loader = try BatchLoader(dataset: dataset, batchSize: batch, seed: seed, scaling: modelType.pixelScaling)
        let setup = try latentDiffusionSetup(modelType, resuming: resumed != nil, device: device)
        let model = try modelType.init(configJSON: resumed?.modelConfig ?? setup?.configJSON ?? config, device: device, seed: seed)
        if let ldm = model as? LatentDiffusionModel {
            try prepareLatents(
                ldm, setup: setup, dataset: dataset, cachePath: (outDir as NSString).appendingPathComponent(LatentCache.fileName),
                root: root)
        }
        let training = TrainingConfiguration(
            steps: steps, batchSize: batch, learningRate: lr, warmupSteps: warmup, cosineDecay: cosine,
            weightDecay: weightDecay, gradientClip: clip > 0 ? clip : nil, emaDecay: ema > 0 ? ema : nil, seed: seed,
            skipNonFinite: skipNonfinite, logEvery: logEvery, emaWarmup: emaWarmup)
        let trainer = try Trainer(model: model, configuration: training, loader: loader, device: device, group: group)
        try RunFingerprint(
            configuration: "\(modelType.modelType) \(model.configJSON) \(training) ranks \(group.size) "
                + "resume step \(resumed.map { "\($0.step)" } ?? "none")", dataset: dataset
        ).verifySame(across: group)
        if let resumed {
            try trainer.restore(from: resumed)
            if root { print("resumed \(resume!) at step \(trainer.step) (\(trainer.position))") }
        } else {
            try trainer.broadcastInitialState()
        }
        guard root else { return try followRoot(trainer) }
        let ranks = group.size > 1 ? ", \(group.size) ranks of \(batch / group.size)–\((batch + group.size - 1) / group.size)" : ""
        print(
            "training \(model.parameterCount) parameters of \(modelType.modelType) on \(device.name) "
                + "(\(dataset.count) images, batch \(batch)\(ranks), \(steps) steps) → \(outDir)")

        let metrics = try MetricsLog(path: (outDir as NSString).appendingPathComponent("metrics.jsonl"))
        let interrupt = InterruptFlag(also: group.size > 1 ? [SIGTERM] : [])
        var progress = ProgressDisplay(totalSteps: steps, startStep: trainer.step)
        var savedAt: Int? = nil
        func save() throws {
            if let autoencoder = model as? AutoencoderKL {
                try autoencoder.setScale(autoencoder.latentScale(dataset, on: device, limit: scaleImages))
            }
            try trainer.checkpoint().write(to: checkpointPath)
            savedAt = trainer.step
            let svg = LossCurve.svg(metrics.losses, title: "\(modelType.modelType) training loss")
            try Data(svg.utf8).write(
                to: URL(fileURLWithPath: (outDir as NSString).appendingPathComponent("loss.svg")),
                options: .atomic)
        }
        do {
            // Values come from the device every --log-every steps only (the steps between never wait
            // for it), so skipped steps are counted there too.
            var skipsShown = trainer.skippedNonFinite
            try trainer.run { report in
                if report.valuesRead, trainer.skippedNonFinite > skipsShown {
                    progress.finish()
                    let count = trainer.skippedNonFinite - skipsShown
                    let which =
                        count == 1 && report.skippedNonFinite
                        ? "step \(report.step): loss or gradients not finite; step skipped"
                        : "\(count) steps up to step \(report.step): loss or gradients not finite; steps skipped"
                    print("\(which) (\(trainer.skippedNonFinite) of --skip-nonfinite \(skipNonfinite))")
                    skipsShown = trainer.skippedNonFinite
                }
                if report.valuesRead { progress.show(report, every: logEvery) }
                if report.valuesRead, report.step % logEvery == 0 || report.step == steps {
                    try metrics.append(report, stepsPerSecond: progress.stepsPerSecond(at: report.step), elapsed: progress.elapsed)
                }
                if report.step % checkpointEvery == 0 { try save() }
                return !interrupt.isRaised
            }
        } catch let TrainingError.nonFiniteLoss(step, culprit, skipped, _) {
            progress.finish()
            throw TrainingError.nonFiniteLoss(
                step: step, culprit: culprit, skipped: skipped,
                lastCheckpoint: savedAt == nil && resume == nil ? nil : checkpointPath)
        }
        progress.finish()
        if savedAt != trainer.step { try save() }
        if interrupt.isRaised {
            print("interrupted at step \(trainer.step); checkpoint written to \(checkpointPath) (continue with --resume \(checkpointPath))")
            throw ExitCode(130)
        }
        if group.size > 1 { print(trainer.gradientSync.summary) }
        print("done: step \(trainer.step), checkpoint \(checkpointPath)")
    }

    /// A rank other than 0: the same steps, without output (rank 0 writes checkpoints, metrics, plots).
    func followRoot(_ trainer: Trainer) throws {
        let interrupt = InterruptFlag(also: [SIGTERM])
        try trainer.run { _ in !interrupt.isRaised }
        if interrupt.isRaised { throw ExitCode(130) }
    }
}

extension TrainCommand {
    /// For a new LDM run: the configuration merged with the --autoencoder checkpoint (nil otherwise).
    func latentDiffusionSetup(_ type: any GenerativeModel.Type, resuming: Bool, device: any Device) throws -> LatentDiffusionSetup? {
        guard type.modelType == LatentDiffusionModel.modelType else {
            if autoencoder != nil { throw ValidationError("--autoencoder is for `latent train ldm`, not \(type.modelType)") }
            return nil
        }
        guard !resuming else { return nil }
        guard let autoencoder else {
            throw ValidationError("latent train ldm needs --autoencoder CHECKPOINT (a checkpoint of `latent train autoencoder`)")
        }
        return try LatentDiffusionSetup(userConfigJSON: config, autoencoderPath: autoencoder, device: device)
    }

    /// Loads the autoencoder into a new LDM and encodes the training set into the cache, or reads the
    /// cache of the run being resumed (whose weights the trainer restores). Under MPI every rank
    /// encodes (the encoding is deterministic) and rank 0 alone writes and reports; a resumed run's
    /// ranks read rank 0's cache, so they need to see its output folder.
    func prepareLatents(
        _ ldm: LatentDiffusionModel, setup: LatentDiffusionSetup?, dataset: ImageDataset, cachePath: String,
        root: Bool
    ) throws {
        guard let setup else {
            ldm.latentCache = try LatentCache.read(
                cachePath, expectedFingerprint: ldm.configuration.autoencoderFingerprint,
                latentShape: ldm.latentShape, images: dataset.count)
            if root { print("reusing the latent cache \(cachePath)") }
            return
        }
        try ldm.loadAutoencoder(setup.autoencoderWeights)
        let start = Date()
        var lastReport = Date.distantPast
        let cache = try LatentCache.encode(
            dataset, with: ldm.autoencoder,
            fingerprint: setup.configuration.autoencoderFingerprint ?? ""
        ) { done, total in
            // A few minutes for the whole training set on two cores: say where it stands every 10 s.
            guard root, Date().timeIntervalSince(lastReport) > 10 || done == total else { return }
            lastReport = Date()
            printError(String(format: "encoding the training set: %d/%d images (%.0f s)", done, total, Date().timeIntervalSince(start)))
        }
        ldm.latentCache = cache
        guard root else { return }
        try cache.write(to: cachePath)
        print(
            String(
                format: "encoded %d training images to %@ in %.0f s (latents %@, scale factor %.4f)", cache.count, cachePath,
                Date().timeIntervalSince(start), ldm.latentShape.map(String.init).joined(separator: "x"), try ldm.autoencoder.scale()))
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
