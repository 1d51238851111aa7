import ArgumentParser
import Foundation
import Latent
import LatentCompute

/// `latent bench allreduce`, under mpirun: the time of the gradient all-reduce of each model.
struct BenchAllReduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the per-step gradient all-reduce of the VAE, VQ-VAE and U-Net (run under mpirun -np N).",
        discussion: """
            Builds each model with its default configuration (the U-Net: fmnist-small), all-reduces a buffer \
            of its trained parameter count (what `latent train` sends once per step) --repeats times back to \
            back, and prints on rank 0 the median and the volume, with the time a ring all-reduce of that \
            volume would need on 8 machines at --gbits Gbit/s (2·7/8 of the bytes through each link).
            """)

    @Option(help: "Models, comma-separated.") var models = "vae,vqvae,ddpm"
    @Option(help: "Timed all-reduces per model.") var repeats = 20
    @Option(help: "Network speed for the 8-machine estimate, in Gbit/s.") var gbits = 10.0
    @Option(help: "Seconds a rank waits for the others before stopping with an error.") var mpiTimeout: Double = 120

    func run() throws {
        guard MPIProcessGroup.launchedByMPI() else {
            throw ValidationError("run under mpirun, e.g. mpirun -np 2 latent bench allreduce")
        }
        let group = try MPIProcessGroup(timeout: mpiTimeout)
        do {
            try benchmark(group)
        } catch {
            printError("error: rank \(group.rank): \(error)")
            Foundation.exit(1)
        }
        group.finalize()
    }

    func benchmark(_ group: MPIProcessGroup) throws {
        if group.isRoot {
            print("all-reduce of each model's gradients: median of \(repeats) on \(group.size) ranks; a ring on 8 machines at \(gbits) Gbit/s")
            print("model    numbers      MB  measured ms  8 machines ms")
        }
        for name in models.split(separator: ",").map(String.init) {
            let type = try ModelRegistry.type(named: name)
            let model = try type.init(configJSON: "{}", device: CPUDevice.shared, seed: 0)
            let count = model.namedParameters().filter { $0.1.requiresGrad }.reduce(0) { $0 + $1.1.count }
            let buffer = [Float](repeating: 1, count: count)
            _ = try group.allReduceSum(buffer)
            var times: [Double] = []
            for _ in 0..<repeats {
                let start = Date()
                _ = try group.allReduceSum(buffer)
                times.append(Date().timeIntervalSince(start) * 1e3)
            }
            let bytes = Double(count * 4)
            let ring = 2 * 7.0 / 8 * bytes / (gbits * 1e9 / 8) * 1e3
            if group.isRoot {
                print(
                    name.padding(toLength: 7, withPad: " ", startingAt: 0)
                        + String(format: " %8d %7.2f  %11.2f  %13.2f", count, bytes / 1e6, times.sorted()[times.count / 2], ring))
            }
        }
    }
}
