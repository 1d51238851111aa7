import ArgumentParser
import Foundation
import Latent
import LatentBenchmarks

/// `latent bench sample`: DDIM (or --sampler's ODE solver) and DDPM sampling of one batch with one seed on each backend: images/s,
/// the speed ratio, the largest difference between the backends' images, and peak memory.
struct BenchSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Time DDIM and DDPM sampling on each backend and compare their images.",
        discussion: """
            Full DDPM is T = 1000 U-Net evaluations; only the first --ddpm-steps are run and timed, and \
            images/s for the whole chain is extrapolated from them (marked * in the table, steps_timed < \
            steps_total in JSON). --ddpm-steps 1000 runs the full chain. peak_bytes is the device's buffer \
            high-water mark during the run (model weights included); peak_rss_increase_bytes is how far the \
            process's resident high-water mark rose (Linux). JSON ops: unet_forward, ddim_sample (or SAMPLER_sample for --sampler), ddpm_sample, \
            sample_parity.
            """)

    @Option(help: "Diffusion checkpoint: ddpm, dit or ldm (default: the shipped models/fmnist-ddpm checkpoint, else a random fmnist-small model).")
    var checkpoint: String?
    @Option(help: "Configuration JSON of the random model used without a checkpoint.") var config = "{}"
    @OptionGroup var deviceOptions: BenchDeviceOptions
    @Option(help: "Images per batch.") var batch = 16
    @Option(help: "Few-step sampler timed before DDPM: ddim (eta 0), dpmpp-2m, euler or heun (Karras spacing).") var sampler = "ddim"
    @Option(help: "Steps of that sampler.") var steps = 50
    @Option(help: "DDPM ancestral steps to run and time (1000: the full chain).") var ddpmSteps = 50
    @Option(help: "Random seed of the samples (the same on every backend).") var seed: UInt64 = 0
    @Flag(
        inversion: .prefixedNo,
        help: "Clamp each predicted x_0 to [-1, 1] (compare backends on a random model with --no-clip-denoised: clamping makes its chain chaotic).")
    var clipDenoised = true
    @Flag(help: "Print one JSON object per line.") var json = false
    @Option(help: "Write each backend's few-step samples to OUT/SAMPLER-BACKEND.png (ddim-cpu.png, …).") var out: String?

    func validate() throws {
        guard batch >= 1, steps >= 1, ddpmSteps >= 1 else { throw ValidationError("--batch, --steps and --ddpm-steps must be positive") }
        _ = try solver()
    }

    /// nil for DDIM, else the ODE solver --sampler names.
    func solver() throws -> ODESolver? {
        if sampler == "ddim" { return nil }
        guard let solver = ODESolver(rawValue: sampler) else {
            throw ValidationError("--sampler must be ddim, \(ODESolver.allCases.map(\.rawValue).joined(separator: ", ")), not \(sampler)")
        }
        return solver
    }

    func run() throws {
        try reportingErrors {
            try benchmark()
        }
    }

    func benchmark() throws {
        if let out { try prepareOutput(out) }
        let source = try SampledModel(checkpoint: checkpoint, config: config)
        let note = "model: \(source.description)"
        if json { printError(note) } else { print(note) }
        let plan = SamplingPlan(
            batch: batch, ddimSteps: steps, ddpmSteps: ddpmSteps, seed: seed, clipDenoised: clipDenoised, solver: try solver())
        var runs: [[SamplingMeasurement]] = []
        for device in try deviceOptions.devices() {
            let model = try source.load(on: device)
            var ticker = SamplingTicker(backend: device.backend.rawValue)
            let measured = try SamplingBenchmark.run(model, plan: plan) { ticker.show($0, $1) }
            ticker.finish()
            // After sampling, so that its batch-sized buffers do not pre-grow the heap the RSS figure sees.
            let forward = try SamplingBenchmark.unetForward(model, batch: batch, shape: "batch \(batch)")
            if json { print(jsonLine(forward.jsonObject.merging(["model": source.name]) { $1 })) }
            if let out {
                let first = measured[0]
                try ImageGrid().writePNG(first.images, shape: first.shape, range: -1...1, to: "\(out)/\(first.sampler)-\(first.backend).png")
            }
            runs.append(measured)
            if json { for m in measured { print(jsonLine(m.jsonObject(model: source.name))) } }
        }
        if json {
            for line in SamplingTable.parity(runs) { print(jsonLine(line)) }
        } else {
            SamplingTable.print(runs)
        }
    }
}

/// A DDPM from a checkpoint (the named one, else the shipped one) or freshly initialised from a config.
struct SampledModel {
    let checkpoint: (path: String, file: Checkpoint)?
    let config: String

    /// A --config other than "{}" asks for a random model, so the shipped checkpoint is not used then.
    init(checkpoint path: String?, config: String) throws {
        guard path == nil || config == "{}" else { throw ValidationError("pass --checkpoint or --config, not both") }
        self.config = config
        if let path = path ?? (config == "{}" ? ShippedModels.find(ShippedModels.ddpm) : nil) {
            let file = try Checkpoint.read(path)
            guard ModelRegistry.diffusionTypes.contains(file.modelType) else {
                throw ValidationError(
                    "\(path) holds \(withArticle(file.modelType)) model; sampling benchmarks need a diffusion checkpoint (ddpm, dit or ldm)")
            }
            checkpoint = (path, file)
        } else {
            checkpoint = nil
            _ = try DDPMConfiguration(json: config)
        }
    }

    /// Short, for shapes and JSON: the checkpoint's path or "random fmnist-small" / "random custom".
    var name: String {
        if let checkpoint { return checkpoint.path }
        return config == "{}" ? "random fmnist-small" : "random custom"
    }

    var description: String {
        if let checkpoint { return "checkpoint \(checkpoint.path)" }
        let random = "seed 0, zero-initialised layers made random"
        guard config == "{}" else { return "randomly initialised \(config) (\(random))" }
        return "randomly initialised fmnist-small (\(random); no shipped checkpoint models/\(ShippedModels.ddpm[0]), "
            + "pass --checkpoint)"
    }

    func load(on device: any Device) throws -> any ImageDiffusionModel {
        guard let checkpoint else { return try SamplingBenchmark.randomModel(configJSON: config, device: device) }
        guard let ddpm = try ModelRegistry.load(checkpoint.file, path: checkpoint.path, device: device) as? any ImageDiffusionModel else {
            throw DiffusionError.invalidArgument("\(checkpoint.path) does not hold a diffusion model")
        }
        return ddpm
    }
}

/// Sampler progress on standard error when it is a terminal (so tables and JSON on stdout stay clean).
struct SamplingTicker {
    let backend: String
    let interactive = isatty(STDERR_FILENO) != 0
    var last = Date.distantPast

    mutating func show(_ sampler: String, _ p: SamplingProgress) {
        guard interactive, Date().timeIntervalSince(last) > 0.2 || p.step == p.steps else { return }
        last = Date()
        FileHandle.standardError.write(Data("\r\u{1B}[K\(backend) \(sampler) step \(p.step)".utf8))
    }

    func finish() { if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}
