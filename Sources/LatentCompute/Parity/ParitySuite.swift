/// The outcome of one kernel case compared across two backends (or a backend and Float64).
public struct ParityResult: Sendable {
    public let kernel: String
    public let family: String
    public let shape: String
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
        if let error { return "\(kernel) [\(shape)] on \(backend): \(error)" }
        return "\(kernel) [\(shape)] \(backend) vs reference: nmse \(nmse) (tolerance \(tolerance)), max abs \(maxAbs)\(bad)"
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

    /// Runs every registered kernel case on `device` and on the CPU backend and compares them.
    public static func compareWithCPU(on device: any Device, kernels: [KernelSpec] = KernelRegistry.all,
                                      cpu: any Device = CPUDevice.shared,
                                      progress: (ParityResult) -> Void = { _ in }) -> [ParityResult] {
        var results: [ParityResult] = []
        for spec in kernels {
            for c in spec.cases {
                let result: ParityResult
                do {
                    let expected = try c.run(cpu)
                    let actual = try c.run(device)
                    let (nmse, maxAbs, firstBad) = compare(actual, expected)
                    result = ParityResult(kernel: spec.name, family: spec.family, shape: c.shape,
                                          backend: device.backend.rawValue, device: device.name, nmse: nmse,
                                          maxAbs: maxAbs, firstBad: firstBad.map { (output: $0.0, index: $0.1) },
                                          tolerance: spec.tolerance, error: nil)
                } catch {
                    result = ParityResult(kernel: spec.name, family: spec.family, shape: c.shape,
                                          backend: device.backend.rawValue, device: device.name, nmse: .nan,
                                          maxAbs: .nan, firstBad: nil, tolerance: spec.tolerance, error: "\(error)")
                }
                progress(result)
                results.append(result)
            }
        }
        return results
    }

    /// Checks every CPU kernel case against its naive Float64 reference.
    public static func compareCPUWithFloat64(kernels: [KernelSpec] = KernelRegistry.all,
                                             cpu: any Device = CPUDevice.shared) -> [ParityResult] {
        var results: [ParityResult] = []
        for spec in kernels {
            for c in spec.cases {
                guard let reference = c.reference else { continue }
                do {
                    let actual = try c.run(cpu)
                    let (nmse, maxAbs, firstBad) = compare(actual, reference())
                    results.append(ParityResult(kernel: spec.name, family: spec.family, shape: c.shape, backend: "float64",
                                                device: "naive reference", nmse: nmse, maxAbs: maxAbs,
                                                firstBad: firstBad.map { (output: $0.0, index: $0.1) },
                                                tolerance: c.referenceTolerance, error: nil))
                } catch {
                    results.append(ParityResult(kernel: spec.name, family: spec.family, shape: c.shape, backend: "float64",
                                                device: "naive reference", nmse: .nan, maxAbs: .nan, firstBad: nil,
                                                tolerance: c.referenceTolerance, error: "\(error)"))
                }
            }
        }
        return results
    }
}
