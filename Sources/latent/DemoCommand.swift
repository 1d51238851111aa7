import ArgumentParser
import Foundation
import Latent
import LatentBenchmarks

/// `latent demo`: the tour `make demo` runs — devices, the parity suite, a quick benchmark, and
/// samples from a checkpoint on every backend with their speed and difference.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show devices, check parity, run a quick benchmark and sample a checkpoint on every backend.")

    @Option(help: "Checkpoint to sample from (default: the shipped LDM in models/, else the shipped DDPM, else the shipped VAE).")
    var checkpoint: String?
    @Option(help: "Output folder for the sample grids.") var out = "demo"
    @Option(help: "Samples per backend.") var count = 16
    @Option(help: "DDIM steps of a diffusion checkpoint's samples.") var steps = 20
    @Option(help: "DDPM ancestral steps timed (images/s extrapolated to the full chain).") var ddpmSteps = 10

    func run() throws {
        try DevicesCommand().run()
        print("")
        try ParityCommand.parse([]).run()
        print("")
        try BenchKernelsCommand.parse(["--quick"]).run()
        guard let path = checkpoint ?? ShippedModels.find(ShippedModels.ldm + ShippedModels.ddpm + ShippedModels.vae) else {
            print("\nno checkpoint to sample from (train one with `latent train ddpm`, then pass --checkpoint)")
            return
        }
        try prepareOutput(out)
        let file = try Checkpoint.read(path)
        var devices: [any Device] = [CPUDevice.shared]
        if let opencl = try? DeviceSelection.resolve(.opencl) { devices.append(opencl) }
        if ModelRegistry.diffusionTypes.contains(file.modelType) {
            try sampleDiffusion(file, path: path, devices: devices)
        } else {
            try sampleVAE(file, path: path, devices: devices)
        }
    }

    /// DDIM samples (written as grids) and a DDPM prefix on every backend, with the sampling table.
    func sampleDiffusion(_ file: Checkpoint, path: String, devices: [any Device]) throws {
        let plan = SamplingPlan(batch: count, ddimSteps: steps, ddpmSteps: ddpmSteps, seed: 0)
        print(
            "\nsampling \(count) images from \(path) on every backend with seed 0: DDIM \(steps) steps (eta 0), "
                + "and the first \(ddpmSteps) ancestral DDPM steps:")
        var runs: [[SamplingMeasurement]] = []
        for device in devices {
            guard let model = try ModelRegistry.load(file, path: path, device: device) as? any ImageDiffusionModel else {
                throw ValidationError("\(path) does not hold a diffusion model")
            }
            let measured = try SamplingBenchmark.run(model, plan: plan)
            let ddim = measured[0]
            try ImageGrid().writePNG(ddim.images, shape: ddim.shape, range: -1...1, to: "\(out)/samples-\(ddim.backend).png")
            runs.append(measured)
        }
        SamplingTable.print(runs)
        print("wrote the DDIM samples to \(out)/samples-BACKEND.png")
    }

    func sampleVAE(_ file: Checkpoint, path: String, devices: [any Device]) throws {
        var results: [(String, [Float], Double)] = []
        print("\nsampling \(count) images from \(path) (\(file.modelType)) with seed 0:")
        for device in devices {
            guard let vae = try ModelRegistry.load(file, path: path, device: device) as? ConvVAE else {
                throw ValidationError("cannot sample a \(file.modelType) model")
            }
            let start = Date()
            let images = try vae.sample(count: count, noise: NoiseStream(seed: 0), on: device)
            let values = try images.toArray()
            let seconds = Date().timeIntervalSince(start)
            try ImageGrid().writePNG(values, shape: images.shape, range: 0...1, to: "\(out)/samples-\(device.backend.rawValue).png")
            results.append((device.name, values, seconds))
        }
        for (name, _, seconds) in results {
            print(pad(name, 32) + String(format: "%8.2f images/s", Double(count) / seconds))
        }
        if results.count == 2 {
            print(
                String(
                    format: "speed ratio %.2f, max abs difference between backends %.2e",
                    results[0].2 / results[1].2, SamplingBenchmark.maxAbsDifference(results[0].1, results[1].1)))
        }
    }
}
