#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parity cases of the reduce family: every `ReduceOp` over [outer, length, inner] views (rows,
/// inner > 1 columns, length 1, whole-tensor) and row-wise softmax / log-softmax.
/// argmax/argmin use distinct values, plus one grid-valued case whose ties test the first-index rule.
extension KernelRegistry {
    public static var reduceKernels: [KernelSpec] {
        ReduceOp.allCases.map(reduceSpec) + [softmaxSpec(log: false), softmaxSpec(log: true)]
    }

    /// (outer, length, inner)
    private static let reduceShapes = [
        (1, 1, 1), (17, 127, 1), (3, 1021, 1), (127, 1, 3), (17, 3, 127), (1, 1021, 17), (2, 127, 1021),
        (4, 127, 256), (1, 1_000_003, 1),
    ]

    /// The Float64 definition of op over one strided line of values.
    private static func reduceDefinition(_ op: ReduceOp, _ v: [Double]) -> Double {
        let n = Double(v.count)
        switch op {
        case .sum: return v.reduce(0, +)
        case .mean: return v.reduce(0, +) / n
        case .max: return v.max()!
        case .min: return v.min()!
        case .argmax: return Double(v.firstIndex(of: v.max()!)!)
        case .argmin: return Double(v.firstIndex(of: v.min()!)!)
        case .logsumexp:
            let m = v.max()!
            return m + log(v.reduce(0) { $0 + exp($1 - m) })
        case .variance:
            let mean = v.reduce(0, +) / n
            return v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        }
    }

    private static func reduceSpec(_ op: ReduceOp) -> KernelSpec {
        let tolerance: Double =
            switch op {
            case .max, .min, .argmax, .argmin: 0
            case .logsumexp: 1e-8
            default: 1e-10
            }
        var shapes = reduceShapes.map { ($0.0, $0.1, $0.2, false) }
        if op.producesIndices { shapes += [(17, 127, 1, true), (3, 127, 17, true)] }
        return KernelSpec(
            .reduce(op), tolerance: tolerance, deviceShaped: true, benchmarks: { quick in op == .sum ? sumBenchmark(quick) : [] },
            cases: shapes.map { outer, length, inner, ties in
                let count = outer * length * inner
                let input: @Sendable () -> [Float] = {
                    var g = ParityInputs(seed: 900 + UInt64(op.rawValue))
                    if ties { return ParityCaseKit.quantized(&g, count) }
                    return op.producesIndices ? ParityCaseKit.distinct(&g, count) : ParityCaseKit.floats(&g, count, low: -1, high: 3)
                }
                return KernelCase(
                    shape: "\(outer)x\(length)x\(inner)\(ties ? " ties" : "")", referenceTolerance: 1e-12,
                    run: { device in
                        let x = try device.upload(input()), out = try ParityCaseKit.buffer(device, outer * inner)
                        try device.reduce(op, x, out, outer: outer, length: length, inner: inner)
                        return [
                            op.producesIndices
                                ? try device.downloadIndices(out, count: outer * inner)
                                : try device.download(out, count: outer * inner)
                        ]
                    },
                    reference: {
                        let x = input()
                        var out: [Double] = []
                        out.reserveCapacity(outer * inner)
                        for o in 0..<outer {
                            for i in 0..<inner {
                                let line = (0..<length).map { Double(x[(o * length + $0) * inner + i]) }
                                out.append(reduceDefinition(op, line))
                            }
                        }
                        return [out]
                    })
            })
    }

    /// (rows, columns)
    private static let softmaxShapes = [(1, 1), (17, 127), (3, 1021), (127, 3), (1, 17), (1024, 1021)]

    private static func softmaxSpec(log useLog: Bool) -> KernelSpec {
        KernelSpec(
            useLog ? .logSoftmax : .softmax, tolerance: 1e-8, deviceShaped: true, benchmarks: { quick in useLog ? [] : softmaxBenchmark(quick) },
            cases: softmaxShapes.map { rows, columns in
                let input: @Sendable () -> [Float] = {
                    var g = ParityInputs(seed: useLog ? 951 : 950)
                    return ParityCaseKit.floats(&g, rows * columns, low: -5, high: 5)
                }
                return KernelCase(
                    shape: "\(rows)x\(columns)", referenceTolerance: 1e-12,
                    run: { device in
                        let x = try device.upload(input()), out = try ParityCaseKit.buffer(device, rows * columns)
                        try device.softmax(x, out, rows: rows, columns: columns, log: useLog)
                        return [try device.download(out, count: rows * columns)]
                    },
                    reference: {
                        let x = input().map(Double.init)
                        var out = [Double](repeating: 0, count: rows * columns)
                        for r in 0..<rows {
                            let row = x[(r * columns)..<((r + 1) * columns)]
                            let m = row.max()!
                            let total = row.reduce(0) { $0 + exp($1 - m) }
                            for c in 0..<columns {
                                out[r * columns + c] = useLog ? x[r * columns + c] - m - log(total) : exp(x[r * columns + c] - m) / total
                            }
                        }
                        return [out]
                    })
            })
    }
}
