#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parity registrations of the backward family (Kernels/backward.cl, CPU/Backward.swift): one spec
/// per unary op's derivative, softmax and log-softmax backward, dropout (bit-identical mask),
/// one-hot and BCE with logits. References are Float64 derivatives written from the definitions.
extension KernelRegistry {
    public static var backwardKernels: [KernelSpec] {
        var specs = UnaryOp.allCases.map { op in
            KernelSpec(
                .unaryBackward(op), tolerance: 1e-10,
                cases: [1, 37, 4099].map { unaryBackwardCase(op, count: $0) })
        }
        let softmaxShapes = [(1, 1), (7, 33), (3, 1000), (64, 257)]
        for log in [false, true] {
            specs.append(
                KernelSpec(
                    log ? .logSoftmaxBackward : .softmaxBackward,
                    tolerance: 1e-10, cases: softmaxShapes.map { softmaxBackwardCase(rows: $0.0, columns: $0.1, log: log) }))
        }
        let dropoutSettings: [(count: Int, p: Float, seed: UInt64, offset: UInt64)] = [
            (1, 0.5, 1, 0), (1001, 0.5, 42, 3), (257, 0, 7, 0), (999, 0.9, 0xDEAD_BEEF_CAFE, 1 << 32 | 5),
            (100, 1, 3, 0), (65_537, 0.25, 12_345, 2),
        ]
        specs.append(
            KernelSpec(
                .dropout, tolerance: 0, benchmarks: dropoutBenchmark,
                cases: dropoutSettings.map {
                    dropoutCase(count: $0.count, probability: $0.p, seed: $0.seed, offset: $0.offset)
                }))
        specs.append(
            KernelSpec(
                .oneHot, tolerance: 0,
                cases: [(1, 1), (13, 7), (5000, 10)].map { oneHotCase(count: $0.0, classes: $0.1) }))
        specs.append(
            KernelSpec(
                .bceWithLogits, tolerance: 1e-10,
                cases: [1, 1000, 65_537].map { bceCase(count: $0) }))
        return specs
    }
}

/// Inputs of a unary-backward case: positive for log, sqrt and rsqrt, else in [−4, 4) with an exact
/// 0 first (abs′(0) = relu′(0) = 0 is part of the contract).
private func unaryBackwardInputs(_ op: UnaryOp, count: Int) -> (x: [Float], g: [Float]) {
    var inputs = ParityInputs(seed: 800 + UInt64(op.rawValue) * 7 + UInt64(count))
    let positive = op == .log || op == .sqrt || op == .rsqrt
    var x = inputs.floats(count, low: positive ? 0.1 : -4, high: 4)
    if !positive { x[0] = 0 }
    return (x, inputs.floats(count))
}

private func unaryBackwardCase(_ op: UnaryOp, count: Int) -> KernelCase {
    KernelCase(
        shape: "\(count)",
        run: { device in
            let (x, g) = unaryBackwardInputs(op, count: count)
            let out = try device.makeBuffer(byteCount: count * 4)
            try device.unaryBackward(op, device.upload(x), gradOut: device.upload(g), gradIn: out, count: count)
            return [try device.download(out, count: count)]
        },
        reference: {
            let (x, g) = unaryBackwardInputs(op, count: count)
            return [zip(x, g).map { Double($1) * referenceDerivative(op, Double($0)) }]
        })
}

/// op′(x) in Float64 (abs′(0) = relu′(0) = 0).
func referenceDerivative(_ op: UnaryOp, _ x: Double) -> Double {
    switch op {
    case .neg: return -1
    case .abs: return x > 0 ? 1 : x < 0 ? -1 : 0
    case .exp: return exp(x)
    case .log: return 1 / x
    case .sqrt: return 0.5 / x.squareRoot()
    case .rsqrt: return -0.5 / (x * x.squareRoot())
    case .square: return 2 * x
    case .tanh:
        let t = tanh(x)
        return 1 - t * t
    case .sigmoid:
        let s = 1 / (1 + exp(-x))
        return s * (1 - s)
    case .relu: return x > 0 ? 1 : 0
    case .silu:
        let s = 1 / (1 + exp(-x))
        return s * (1 + x * (1 - s))
    case .gelu: return 0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    case .sin: return cos(x)
    case .cos: return -sin(x)
    }
}

/// The forward op in Float64 (for finite-difference checks of `referenceDerivative`).
func referenceUnary(_ op: UnaryOp, _ x: Double) -> Double {
    switch op {
    case .neg: return -x
    case .abs: return Swift.abs(x)
    case .exp: return exp(x)
    case .log: return log(x)
    case .sqrt: return x.squareRoot()
    case .rsqrt: return 1 / x.squareRoot()
    case .square: return x * x
    case .tanh: return tanh(x)
    case .sigmoid: return 1 / (1 + exp(-x))
    case .relu: return max(x, 0)
    case .silu: return x / (1 + exp(-x))
    case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
    case .sin: return sin(x)
    case .cos: return cos(x)
    }
}

/// Softmax (or log-softmax) rows in Float64 of random logits, rounded to Float: the kernel's y input.
private func softmaxBackwardInputs(rows: Int, columns: Int, log: Bool) -> (y: [Float], g: [Float]) {
    var inputs = ParityInputs(seed: 900 + UInt64(rows * 31 + columns) + (log ? 1 : 0))
    let logits = inputs.floats(rows * columns, low: -3, high: 3).map(Double.init)
    return (referenceSoftmax(logits, rows: rows, columns: columns, log: log).map(Float.init), inputs.floats(rows * columns))
}

/// Row-wise softmax or log-softmax in Float64.
func referenceSoftmax(_ x: [Double], rows: Int, columns: Int, log: Bool) -> [Double] {
    var out = x
    for r in 0..<rows {
        let row = x[(r * columns)..<((r + 1) * columns)]
        let top = row.max() ?? 0
        let total = row.reduce(0) { $0 + exp($1 - top) }
        for j in 0..<columns {
            let z = x[r * columns + j] - top
            out[r * columns + j] = log ? z - naturalLog(total) : exp(z) / total
        }
    }
    return out
}

/// Softmax backward in Float64 from the Jacobian: gradIn_j = Σ_k g_k·∂y_k/∂x_j.
func referenceSoftmaxBackward(y: [Double], g: [Double], rows: Int, columns: Int, log: Bool) -> [Double] {
    var out = y
    for r in 0..<rows {
        let o = r * columns
        for j in 0..<columns {
            var sum = 0.0
            for k in 0..<columns {
                // softmax: ∂y_k/∂x_j = y_k(δ_kj − y_j); log-softmax: ∂y_k/∂x_j = δ_kj − softmax_j.
                let delta: Double = k == j ? 1 : 0
                sum += g[o + k] * (log ? delta - exp(y[o + j]) : y[o + k] * (delta - y[o + j]))
            }
            out[o + j] = sum
        }
    }
    return out
}

private func softmaxBackwardCase(rows: Int, columns: Int, log: Bool) -> KernelCase {
    KernelCase(
        shape: "\(rows)x\(columns)",
        run: { device in
            let (y, g) = softmaxBackwardInputs(rows: rows, columns: columns, log: log)
            let out = try device.makeBuffer(byteCount: rows * columns * 4)
            try device.softmaxBackward(device.upload(y), gradOut: device.upload(g), gradIn: out, rows: rows, columns: columns, log: log)
            return [try device.download(out, count: rows * columns)]
        },
        reference: {
            let (y, g) = softmaxBackwardInputs(rows: rows, columns: columns, log: log)
            return [referenceSoftmaxBackward(y: y.map(Double.init), g: g.map(Double.init), rows: rows, columns: columns, log: log)]
        })
}

private func dropoutCase(count: Int, probability: Float, seed: UInt64, offset: UInt64) -> KernelCase {
    KernelCase(
        shape: "\(count) p\(probability) offset \(offset)",
        run: { device in
            var inputs = ParityInputs(seed: 950 + UInt64(count))
            let out = try device.makeBuffer(byteCount: count * 4)
            try device.dropout(
                device.upload(inputs.floats(count)), out, count: count, probability: probability,
                seed: seed, offset: offset)
            return [try device.download(out, count: count)]
        },
        reference: {
            var inputs = ParityInputs(seed: 950 + UInt64(count))
            let x = inputs.floats(count)
            return [
                x.indices.map { i in
                    NoiseSampler.uniform(seed: seed, element: offset &+ UInt64(i)) >= probability
                        ? Double(x[i]) / (1 - Double(probability)) : 0
                }
            ]
        })
}

private func oneHotIndices(count: Int, classes: Int) -> [Int32] {
    var inputs = ParityInputs(seed: 970 + UInt64(count))
    var indices = inputs.indices(count, below: classes)
    // Out-of-range indices give zero rows.
    for (i, bad) in [Int32(-1), Int32(classes), 1000].enumerated() where 2 * i + 1 < count { indices[2 * i + 1] = bad }
    return indices
}

private func oneHotCase(count: Int, classes: Int) -> KernelCase {
    KernelCase(
        shape: "\(count) classes \(classes)",
        run: { device in
            let out = try device.upload([Float](repeating: .nan, count: count * classes))  // must be overwritten
            try device.oneHot(device.upload(oneHotIndices(count: count, classes: classes)), out, count: count, classes: classes)
            return [try device.download(out, count: count * classes)]
        },
        reference: {
            let indices = oneHotIndices(count: count, classes: classes)
            return [(0..<(count * classes)).map { Int(indices[$0 / classes]) == $0 % classes ? 1 : 0 }]
        })
}

private func bceInputs(count: Int) -> (x: [Float], t: [Float]) {
    var inputs = ParityInputs(seed: 990 + UInt64(count))
    var x = inputs.floats(count, low: -20, high: 20)
    if count > 3 {
        x[1] = 0
        x[2] = 90
        x[3] = -90
    }
    return (x, inputs.floats(count, low: 0, high: 1))
}

private func bceCase(count: Int) -> KernelCase {
    KernelCase(
        shape: "\(count)",
        run: { device in
            let (x, t) = bceInputs(count: count)
            let out = try device.makeBuffer(byteCount: count * 4)
            try device.bceWithLogits(device.upload(x), targets: device.upload(t), out, count: count)
            return [try device.download(out, count: count)]
        },
        reference: {
            let (x, t) = bceInputs(count: count)
            return [
                zip(x, t).map { x, t in
                    let x = Double(x)
                    return max(x, 0) - x * Double(t) + log1p(exp(-Swift.abs(x)))
                }
            ]
        })
}

/// ln x, callable where a `log: Bool` parameter shadows the C function.
private func naturalLog(_ x: Double) -> Double { log(x) }
