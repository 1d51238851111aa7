import ArgumentParser
import Foundation
import LatentBenchmarks
import LatentCompute

/// `latent bench`: times the kernels on the CPU backend and on an OpenCL device, side by side.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time kernels on the CPU backend and an OpenCL device (GFLOP/s, GB/s, numbers/s).",
        discussion: """
            Benchmark on an otherwise idle machine: any other busy process halves 2-thread figures. \
            Compare with `python3 Benchmarks/numpy_sgemm.py` and ../shared/reference/bench_torch.py in the same session.
            """)

    @Option(help: "Backends to time: all (cpu and the first OpenCL device), cpu, opencl, or a device spec.")
    var device = "all"
    @Flag(help: "Smaller sizes and fewer repetitions (under a minute).") var quick = false
    @Flag(help: "Print one JSON object per line.") var json = false
    @Option(help: "Only ops whose name contains this text.") var filter: String?

    func run() throws {
        var devices: [any Device] = []
        if device == "all" {
            devices.append(CPUDevice.shared)
            do {
                devices.append(try DeviceSelection.resolve(.opencl))
            } catch {
                printError("OpenCL unavailable (\(error)); timing the CPU backend only")
            }
        } else {
            do { devices.append(try DeviceSelection.resolve(try DeviceRequest(parsing: device)) { printError($0) }) }
            catch { throw ValidationError("\(error)") }
        }
        let cases = (KernelBenchmarks.cases(quick: quick) + TrainingBenchmarks.cases(quick: quick))
            .filter { filter == nil || $0.op.contains(filter!) }
        if !json {
            print(pad("op", 16) + pad("shape", 24) + pad("backend", 9) + pad("ms", 10) + "rate")
        }
        for c in cases {
            for d in devices {
                do {
                    let r = try BenchmarkRunner.run(c, on: d, repetitions: quick ? 5 : 10, budgetSeconds: quick ? 1 : 3)
                    print(json ? jsonLine(r) : row(r))
                } catch {
                    printError("\(c.op) [\(c.shape)] on \(d.name): \(error)")
                }
            }
        }
        if filter == nil || "chain".contains(filter!) {
            for d in devices where d.backend == .opencl {
                let (chained, summed) = try KernelBenchmarks.chain(on: d)
                if json {
                    print(#"{"op":"chain100","backend":"opencl","device":"\#(d.name)","shape":"100x1048576","ms":\#(chained),"summed_ms":\#(summed)}"#)
                } else {
                    print("chain of 100 elementwise kernels on \(d.name): \(String(format: "%.1f", chained)) ms enqueued together, "
                        + "\(String(format: "%.1f", summed)) ms waited one by one (ratio \(String(format: "%.2f", chained / summed)))")
                }
            }
        }
    }

    func row(_ r: BenchmarkResult) -> String {
        var rate = ""
        if let g = r.gflops { rate = String(format: "%.1f GFLOP/s", g) }
        if let g = r.gbps { rate = String(format: "%.1f GB/s", g) }
        if let n = r.itemsPerSecond { rate += String(format: ", %.3g %@/s", n, r.op == "randn" ? "numbers" : "images") }
        return pad(r.op, 16) + pad(r.shape, 24) + pad(r.backend, 9) + pad(String(format: "%.3f", r.ms), 10) + rate
    }

    func jsonLine(_ r: BenchmarkResult) -> String {
        var object: [String: Any] = ["op": r.op, "backend": r.backend, "device": r.device, "shape": r.shape,
                                     "ms": r.ms, "min_ms": r.minMs]
        object["gflops"] = r.gflops
        object["gbps"] = r.gbps
        object[r.op == "randn" ? "numbers_per_s" : "images_per_s"] = r.itemsPerSecond
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
