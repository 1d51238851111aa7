import Foundation
@testable import LatentCompute
import Testing

/// The OpenCL device every parity test runs on (PoCL in CI). A missing OpenCL device is a failure,
/// never a skip: the suite exists to exercise the real kernels.
func openCLDevice() throws -> any Device {
    try DeviceSelection.resolve(.opencl)
}

/// The same device as an `OpenCLDevice`, for tests of its own switches and counters; failing, not
/// skipping, where there is none.
func concreteOpenCLDevice() throws -> OpenCLDevice {
    guard let device = try DeviceSelection.resolve(.opencl) as? OpenCLDevice else {
        throw ComputeError.deviceUnavailable("resolve(.opencl) did not return an OpenCLDevice")
    }
    return device
}

@Suite struct ParityTests {
    @Test func everyKernelMatchesTheCPUBackendOnOpenCL() throws {
        let device = try openCLDevice()
        let results = ParitySuite.compareWithCPU(on: device)
        // Every variant of every kernel ran: device-shaped kernels both ways, fused ones composed too.
        for spec in KernelRegistry.all {
            let ran = Set(results.filter { $0.kernel == spec.name }.map(\.variant))
            #expect(ran == Set(spec.variants.map(\.rawValue)), "\(spec.name) ran \(ran.sorted())")
        }
        for r in results where !r.ok { Issue.record(Comment(rawValue: r.summary)) }
    }

    @Test func everyCPUKernelMatchesItsFloat64Reference() {
        let results = ParitySuite.compareCPUWithFloat64()
        // The composed default of every fused kernel is checked against Float64 too.
        let composed = Set(results.filter { $0.variant == "composed" }.map(\.kernel))
        #expect(composed == Set(KernelRegistry.all.filter(\.kernel.isFused).map(\.name)))
        for r in results where !r.ok { Issue.record(Comment(rawValue: r.summary)) }
    }

    /// One spec per `KernelName`, each with cases; fused kernels also run their composed default.
    @Test func registryCoversEveryKernelNameExactlyOnce() {
        let registered = KernelRegistry.all.map(\.kernel)
        #expect(Set(registered).count == registered.count, "kernels registered twice")
        let missing = Set(KernelName.allCases).subtracting(registered).map(\.name).sorted()
        #expect(missing.isEmpty, "kernel names without a spec in KernelRegistry: \(missing)")
        for spec in KernelRegistry.all {
            #expect(!spec.cases.isEmpty, "\(spec.name) has no cases")
            #expect(spec.variants.contains(.composed) == spec.kernel.isFused, "\(spec.name): variants \(spec.variants)")
        }
    }

    /// Every requirement of the kernel protocols is some kernel name's `requirement`, and the other
    /// way round: a kernel added to a protocol without a `KernelName` (hence without parity cases)
    /// fails here.
    @Test func everyProtocolRequirementIsAKernelName() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/LatentCompute").standardized
        func requirements(_ file: String) throws -> Set<String> {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            let names = text.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("func ") else { return nil }
                return String(trimmed.dropFirst(5).prefix { $0.isLetter || $0.isNumber })
            }
            return Set(names)
        }
        let primitive = try requirements("PrimitiveKernels.swift")
        let fused = try requirements("FusedKernels.swift").subtracting(["supports"])
        #expect(primitive.count >= 15 && fused.count >= 10)
        let named = Set(KernelName.allCases.map(\.requirement))
        #expect(
            primitive.union(fused) == named,
            "unregistered: \(primitive.union(fused).subtracting(named).sorted()); stale: \(named.subtracting(primitive.union(fused)).sorted())")
        #expect(fused == KernelName.fusedRequirements, "FusedKernels and KernelName.isFused disagree")
    }

    /// A backend with only the primitive kernels reports the fused ones as composed.
    @Test func primitivesOnlyDeviceSupportsOnlyPrimitives() {
        let device = PrimitivesOnlyDevice(CPUDevice.shared)
        for kernel in KernelName.allCases { #expect(device.supports(kernel) == !kernel.isFused) }
        #expect(CPUDevice.shared.supports(.attention))
    }

    /// The comparison itself must notice a wrong answer.
    @Test func compareDetectsDifferences() {
        let (nmse, maxAbs, firstBad) = ParitySuite.compare([[1, 2, 3]], [[1, 2, 3.5]])
        #expect(nmse > 1e-3)
        #expect(maxAbs == 0.5)
        #expect(firstBad?.0 == 0 && firstBad?.1 == 2)
        #expect(ParitySuite.compare([[1, 2]], [[1, 2]]).nmse == 0)
        #expect(ParitySuite.compare([[1]], [[1, 2]]).nmse == .infinity)
        #expect(ParitySuite.compare([[.nan]], [[1]]).nmse.isNaN)
    }
}
