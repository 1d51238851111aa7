import ArgumentParser
import Foundation
import LatentCompute

/// `latent parity`: runs every registered kernel case on a device and on the CPU backend.
struct ParityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Check that a device computes every kernel like the CPU backend (and the CPU like Float64).",
        discussion: "Exits non-zero when any case is outside its tolerance.")

    @OptionGroup var deviceOptions: DeviceOptions
    @Flag(help: "Print one JSON object per case instead of a table.") var json = false
    @Option(help: "Only kernels whose name contains this text.") var filter: String?
    @Flag(help: "Also check the CPU backend against the naive Float64 references.") var reference = false

    func run() throws {
        var request = try deviceOptions.request()
        if request == .auto, deviceOptions.device == nil, (try? OpenCLRuntime.discover().isEmpty) == false {
            request = .opencl  // parity is about OpenCL: use any OpenCL device, PoCL included
        }
        let device = try DeviceSelection.resolve(request) { printError($0) }
        let kernels = KernelRegistry.all.filter { filter == nil || $0.name.contains(filter!) }
        var results: [ParityResult] = []
        if reference { results += ParitySuite.compareCPUWithFloat64(kernels: kernels) }
        if device.backend != .cpu {
            results += ParitySuite.compareWithCPU(on: device, kernels: kernels)
        } else if !reference {
            printError("the device is the CPU backend itself: comparing it with the Float64 references instead")
            results += ParitySuite.compareCPUWithFloat64(kernels: kernels)
        }
        if json {
            for r in results { print(jsonLine(r)) }
        } else {
            printTable(results, device: device)
        }
        let failed = results.filter { !$0.ok }
        if !failed.isEmpty {
            printError("\(failed.count) of \(results.count) parity cases failed:")
            for r in failed { printError("  " + r.summary) }
            throw ExitCode.failure
        }
    }

    func jsonLine(_ r: ParityResult) -> String {
        var object: [String: Any] = [
            "op": r.kernel, "family": r.family, "backend": r.backend, "device": r.device, "shape": r.shape,
            "variant": r.variant, "ok": r.ok, "tolerance": r.tolerance,
        ]
        object["nmse"] = r.nmse.isFinite ? r.nmse : nil
        object["max_abs"] = r.maxAbs.isFinite ? r.maxAbs : nil
        if let error = r.error { object["error"] = error }
        if let bad = r.firstBad { object["first_bad"] = ["output": bad.output, "index": bad.index] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func printTable(_ results: [ParityResult], device: any Device) {
        print("parity: \(device.name) (\(device.backend.rawValue)) vs cpu backend; float64 rows check the cpu backend")
        let header = pad("kernel", 16) + pad("shape", 30) + pad("variant", 10) + pad("against", 10) + pad("nmse", 12) + pad("max abs", 12) + "ok"
        print(header)
        for r in results {
            let against = r.backend == "float64" ? "float64" : "cpu"
            print(
                pad(r.kernel, 16) + pad(r.shape, 30) + pad(r.variant, 10) + pad(against, 10)
                    + pad(r.error == nil ? String(format: "%.2e", r.nmse) : "error", 12)
                    + pad(r.error == nil ? String(format: "%.2e", r.maxAbs) : "", 12) + (r.ok ? "yes" : "NO"))
        }
        let passed = results.filter(\.ok).count
        print("\(passed) passed, \(results.count - passed) failed")
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
