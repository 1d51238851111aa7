import ArgumentParser
import Foundation
import Latent

/// `latent demo`: the tour `make demo` runs — devices, the parity suite, a quick benchmark, and
/// samples from a checkpoint on every backend with their speed and difference.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show devices, check parity, run a quick benchmark and sample a checkpoint on every backend.")

    @Option(help: "Checkpoint to sample from (default: models/ddpm.safetensors, then models/vae.safetensors, when present).")
    var checkpoint: String?
    @Option(help: "Output folder for the sample grids.") var out = "demo"
    @Option(help: "Samples per backend.") var count = 16

    func run() throws {
        try DevicesCommand().run()
        print("")
        try ParityCommand.parse([]).run()
        print("")
        try BenchCommand.parse(["--quick"]).run()
        guard let path = checkpoint ?? ["models/ddpm.safetensors", "models/vae.safetensors"]
            .first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            print("\nno checkpoint to sample from (train one with `latent train vae`, then pass --checkpoint)")
            return
        }
        try prepareOutput(out)
        let file = try Checkpoint.read(path)
        var results: [(String, [Float], Double)] = []
        var devices: [any Device] = [CPUDevice.shared]
        if let opencl = try? DeviceSelection.resolve(.opencl) { devices.append(opencl) }
        print("\nsampling \(count) images from \(path) (\(file.modelType)) with seed 0:")
        for device in devices {
            let model = try ModelRegistry.load(file, path: path, device: device)
            let start = Date()
            let images: Tensor
            switch model {
            case let vae as ConvVAE: images = try vae.sample(count: count, noise: NoiseStream(seed: 0), on: device)
            case let ddpm as DDPMModel:
                let labels = ddpm.configuration.unet.numClasses.map { k in (0..<count).map { Int32($0 % k) } }
                images = try ddpm.sample(count: count, labels: labels, options: SamplerOptions())
            default: throw ValidationError("cannot sample a \(file.modelType) model")
            }
            let values = try images.toArray()
            let seconds = Date().timeIntervalSince(start)
            let range: ClosedRange<Float> = file.modelType == "ddpm" ? -1...1 : 0...1
            try ImageGrid().writePNG(values, shape: images.shape, range: range, to: "\(out)/samples-\(device.backend.rawValue).png")
            results.append((device.name, values, seconds))
        }
        for (name, _, seconds) in results {
            print(pad(name, 32) + String(format: "%8.2f images/s", Double(count) / seconds))
        }
        if results.count == 2 {
            let diff = zip(results[0].1, results[1].1).map { abs($0 - $1) }.max() ?? 0
            print(String(format: "speed ratio %.2f, max abs difference between backends %.2e",
                         results[0].2 / results[1].2, diff))
        }
    }
}
