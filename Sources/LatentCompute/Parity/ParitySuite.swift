/// The outcome of one kernel case compared across two backends (or a backend and Float64).
public struct ParityResult: Sendable {
    public let kernel: String
    public let family: String
    public let shape: String
    /// The kernel variant forced for this run (`KernelVariant.rawValue`).
    public let variant: String
    /// Backend and device compared against the CPU backend (or "float64" for reference checks).
    public let backend: String
    public let device: String
    public let nmse: Double
    public let maxAbs: Double
    /// First flattened index (output number, element) whose error exceeds the tolerance scale.
    public let firstBad: (output: Int, index: Int)?
    public let tolerance: Double
    public let error: String?

    public var ok: Bool { error == nil && nmse <= tolerance && !nmse.isNaN }

    public var summary: String {
        let bad = firstBad.map { " first bad: output \($0.output) index \($0.index)" } ?? ""
        if let error { return "\(kernel) (\(variant)) [\(shape)] on \(backend): \(error)" }
        return "\(kernel) (\(variant)) [\(shape)] \(backend) vs reference: nmse \(nmse) (tolerance \(tolerance)), max abs \(maxAbs)\(bad)"
    }
}

public enum ParitySuite {
    /// Normalized mean squared error Σ(a-b)² / Σb² over all outputs (b the reference), with the
    /// max absolute error and the first element whose squared error stands out.
    public static func compare(_ actual: [[Double]], _ expected: [[Double]]) -> (nmse: Double, maxAbs: Double, firstBad: (Int, Int)?) {
        guard actual.count == expected.count, zip(actual, expected).allSatisfy({ $0.count == $1.count }) else {
            return (.infinity, .infinity, (0, 0))
        }
        var errorSum = 0.0, normSum = 0.0, maxAbs = 0.0
        var count = 0
        for (a, b) in zip(actual, expected) {
            for (x, y) in zip(a, b) {
                // Equal infinities (e.g. log 0) agree; NaN anywhere poisons the sum deliberately.
                let d = x == y ? 0 : x - y
                errorSum += d * d
                normSum += y * y
                maxAbs = max(maxAbs, abs(d))
                count += 1
            }
        }
        let nmse = count == 0 ? 0 : errorSum / max(normSum, 1e-30)
        var firstBad: (Int, Int)?
        if nmse > 0 {
            let scale = (normSum / Double(max(count, 1))).squareRoot()
            outer: for (o, (a, b)) in zip(actual, expected).enumerated() {
                for (i, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= 1e-3 * scale + 1e-6 * abs(y)) && x != y {
                    firstBad = (o, i)
                    break outer
                }
            }
        }
        return (nmse, maxAbs, firstBad)
    }

    /// Runs every registered kernel case on `device` and on the CPU backend and compares them, once
    /// per variant the kernel lists, with that variant forced on both.
    public static func compareWithCPU(
        on device: any Device, kernels: [KernelSpec] = KernelRegistry.all,
        cpu: any Device = CPUDevice.shared,
        progress: (ParityResult) -> Void = { _ in }
    ) -> [ParityResult] {
        var results: [ParityResult] = []
        for spec in kernels {
            for variant in spec.variants {
                for c in spec.cases where c.runs(under: variant) {
                    let result: ParityResult
                    let target = variant.device(device)
                    do {
                        let expected = try variant.run(c, on: variant.device(cpu))
                        let actual = try variant.run(c, on: target)
                        result = ParityResult(spec, c, variant, target, compare(actual, expected), tolerance: spec.tolerance)
                    } catch {
                        result = ParityResult(spec, c, variant, target, error: error, tolerance: spec.tolerance)
                    }
                    progress(result)
                    results.append(result)
                }
            }
        }
        return results
    }

    /// Checks every CPU kernel case against its naive Float64 reference: the native kernel, and the
    /// composed default of every fused kernel.
    public static func compareCPUWithFloat64(
        kernels: [KernelSpec] = KernelRegistry.all,
        cpu: any Device = CPUDevice.shared
    ) -> [ParityResult] {
        var results: [ParityResult] = []
        for spec in kernels {
            // The CPU backend has one kernel per op: device-shaped variants are the same run.
            let variants = spec.variants.map { $0 == .composed ? KernelVariant.composed : .native }.uniqued()
            for variant in variants {
                for c in spec.cases where c.runs(under: variant == .native ? spec.variants[0] : variant) {
                    guard let reference = c.reference else { continue }
                    let target = variant.device(cpu)
                    do {
                        let actual = try variant.run(c, on: target)
                        results.append(
                            ParityResult(
                                spec, c, variant, target, compare(actual, reference()), backend: "float64",
                                tolerance: c.referenceTolerance))
                    } catch {
                        results.append(
                            ParityResult(
                                spec, c, variant, target, error: error, backend: "float64",
                                tolerance: c.referenceTolerance))
                    }
                }
            }
        }
        return results
    }
}

extension KernelVariant {
    /// The device a case runs on under this variant: the composed defaults run on a primitives-only view.
    func device(_ device: any Device) -> any Device {
        self == .composed ? PrimitivesOnlyDevice(device) : device
    }

    /// Runs a case with this variant forced (device-shaped variants) or chosen by the device.
    func run(_ c: KernelCase, on device: any Device) throws -> [[Double]] {
        let forced: KernelVariant? = self == .cpuShaped || self == .gpuShaped ? self : nil
        return try KernelVariant.$forced.withValue(forced) { try c.run(device) }
    }
}

extension ParityResult {
    init(
        _ spec: KernelSpec, _ c: KernelCase, _ variant: KernelVariant, _ device: any Device,
        _ comparison: (nmse: Double, maxAbs: Double, firstBad: (Int, Int)?), backend: String? = nil, tolerance: Double
    ) {
        self.init(
            kernel: spec.name, family: spec.family, shape: c.shape, variant: variant.rawValue,
            backend: backend ?? device.backend.rawValue, device: device.name, nmse: comparison.nmse,
            maxAbs: comparison.maxAbs, firstBad: comparison.firstBad.map { (output: $0.0, index: $0.1) },
            tolerance: tolerance, error: nil)
    }

    init(
        _ spec: KernelSpec, _ c: KernelCase, _ variant: KernelVariant, _ device: any Device, error: any Error,
        backend: String? = nil, tolerance: Double
    ) {
        self.init(
            kernel: spec.name, family: spec.family, shape: c.shape, variant: variant.rawValue,
            backend: backend ?? device.backend.rawValue, device: device.name, nmse: .nan, maxAbs: .nan,
            firstBad: nil, tolerance: tolerance, error: "\(error)")
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
