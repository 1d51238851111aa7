import ArgumentParser
import Foundation
import LatentBenchmarks
import LatentCompute

/// `latent bench kernels` (also plain `latent bench`): times the kernels on the CPU backend and on an
/// OpenCL device, side by side.
struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time kernels on the CPU backend and an OpenCL device (GFLOP/s, GB/s, numbers/s).")

    @OptionGroup var deviceOptions: BenchDeviceOptions
    @Flag(help: "Smaller sizes and fewer repetitions (under a minute).") var quick = false
    @Flag(help: "Print one JSON object per line.") var json = false
    @Option(help: "Only ops whose name contains this text.") var filter: String?

    func run() throws {
        let devices = try deviceOptions.devices()
        let cases = KernelBenchmarks.cases(quick: quick)
            .filter { filter == nil || $0.op.contains(filter!) }
        if !json { print(BenchmarkResult.header) }
        for c in cases {
            for d in devices {
                do {
                    let r = try BenchmarkRunner.run(c, on: d, repetitions: quick ? 5 : 10, budgetSeconds: quick ? 1 : 3)
                    print(json ? jsonLine(r.jsonObject) : r.row)
                } catch {
                    printError("\(c.op) [\(c.shape)] on \(d.name): \(error)")
                }
            }
        }
        if filter == nil || "chain".contains(filter!) {
            for d in devices where d.backend == .opencl {
                let (chained, summed) = try KernelBenchmarks.chain(on: d)
                if json {
                    print(
                        jsonLine([
                            "op": "chain100", "backend": "opencl", "device": d.name, "shape": "100x1048576",
                            "ms": chained, "summed_ms": summed,
                        ]))
                } else {
                    print(
                        "chain of 100 elementwise kernels on \(d.name): \(String(format: "%.1f", chained)) ms enqueued together, "
                            + "\(String(format: "%.1f", summed)) ms waited one by one (ratio \(String(format: "%.2f", chained / summed)))")
                }
            }
        }
    }
}
