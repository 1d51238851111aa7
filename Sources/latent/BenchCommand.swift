import ArgumentParser
import Foundation
import LatentBenchmarks
import LatentCompute

/// `latent bench`: kernel timings by default, `bench sample` for sampling and `bench train` for training steps.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks on the CPU backend and an OpenCL device: kernels (default), sampling, training steps.",
        discussion: """
            `latent bench [--quick] [--json]` times the kernels (the same as `latent bench kernels`). \
            Benchmark on an otherwise idle machine: any other busy process halves 2-thread figures. \
            Compare with `python3 Benchmarks/numpy_sgemm.py` and tools/bench_torch.py in the same session.
            """,
        subcommands: [BenchKernelsCommand.self, BenchSampleCommand.self, BenchTrainCommand.self, BenchAllReduceCommand.self],
        defaultSubcommand: BenchKernelsCommand.self)
}

/// The --device option of the bench commands, which may name several backends at once.
struct BenchDeviceOptions: ParsableArguments {
    @Option(help: "Backends to time: all (cpu and the first OpenCL device), cpu, opencl, or a device spec.")
    var device = "all"

    /// The devices to time; `all` skips OpenCL with one line when it is unavailable.
    func devices() throws -> [any Device] {
        guard device == "all" else {
            do { return [try DeviceSelection.resolve(try DeviceRequest(parsing: device)) { printError($0) }] } catch {
                throw ValidationError("\(error)")
            }
        }
        var devices: [any Device] = [CPUDevice.shared]
        do {
            devices.append(try DeviceSelection.resolve(.opencl))
        } catch {
            printError("OpenCL unavailable (\(error)); timing the CPU backend only")
        }
        return devices
    }
}

/// One JSON object on one line, keys sorted.
func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

extension BenchmarkResult {
    /// The fields of a bench JSON line (op, backend, device, shape, ms, min_ms and the rates).
    var jsonObject: [String: Any] {
        var object: [String: Any] = ["op": op, "backend": backend, "device": device, "shape": shape, "ms": ms, "min_ms": minMs]
        object["gflops"] = gflops
        object["gbps"] = gbps
        object[countsNumbers ? "numbers_per_s" : "images_per_s"] = itemsPerSecond
        // Per timed call: one training step for `bench train`, one kernel (or op) for `bench kernels`.
        object["launches_per_step"] = launchesPerCall
        object["host_syncs_per_step"] = hostSyncsPerCall
        return object
    }

    /// Ops whose items are random numbers (drawn or consumed) rather than images.
    var countsNumbers: Bool { op == "randn" || op == "dropout" }

    /// A table row: op, shape, backend, ms and the rate.
    var row: String {
        var rate = ""
        if let g = gflops { rate = String(format: "%.1f GFLOP/s", g) }
        if let g = gbps { rate = String(format: "%.1f GB/s", g) }
        if let n = itemsPerSecond {
            rate += (rate.isEmpty ? "" : ", ") + String(format: "%.3g %@/s", n, countsNumbers ? "numbers" : "images")
        }
        return pad(op, 22) + pad(shape, 30) + pad(backend, 9) + pad(String(format: "%.3f", ms), 12) + rate
    }

    static var header: String { pad("op", 22) + pad("shape", 30) + pad("backend", 9) + pad("ms", 12) + "rate" }
}
