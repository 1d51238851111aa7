/// Parity registrations of the optim family (Kernels/optim.cl, CPU/Optim.swift). Parameters are
/// small (|p| < 0.1) and learning rates large, so the update itself dominates the compared values.
/// References are PyTorch's update rules written in Float64 from the textbook form.
extension KernelRegistry {
    public static var optimKernels: [KernelSpec] {
        let counts = [1, 37, 10_007]
        let adam = [(step: 1, wd: Float(0)), (step: 10, wd: 0.1)]
        let sgd: [(momentum: Float, wd: Float, first: Bool)] = [(0, 0, true), (0.9, 0, true), (0.9, 0.01, false)]
        return [
            KernelSpec(
                .adam, tolerance: 1e-10, benchmarks: adamBenchmark,
                cases: adam.flatMap { setting in
                    counts.map { adamCase(count: $0, hyper: AdamHyperparameters(learningRate: 0.01, weightDecay: setting.wd, step: setting.step)) }
                }),
            KernelSpec(
                .adamw, tolerance: 1e-10,
                cases: adam.flatMap { setting in
                    counts.map {
                        adamCase(
                            count: $0,
                            hyper: AdamHyperparameters(
                                learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6,
                                weightDecay: setting.wd + 0.05, decoupledWeightDecay: true,
                                step: setting.step))
                    }
                }),
            KernelSpec(
                .adamGated, tolerance: 1e-10,
                cases: counts.flatMap { count in
                    [(apply: Float(1), scale: Float(1), step: 1), (1, 0.25, 7), (0, 0.5, 3)].map {
                        adamGatedCase(
                            count: count, hyper: AdamHyperparameters(learningRate: 0.01, weightDecay: 0.1, step: 100),
                            apply: $0.apply, scale: $0.scale, step: $0.step)
                    }
                }),
            KernelSpec(
                .tensorSums, tolerance: 1e-10, benchmarks: tensorSumsBenchmark,
                cases: [[1], [37, 0, 10_007], (0..<19).map { 1 + $0 * $0 * 53 }].map(tensorSumsCase)),
            KernelSpec(
                .sgd, tolerance: 1e-10,
                cases: sgd.flatMap { setting in
                    counts.map {
                        sgdCase(
                            count: $0,
                            hyper: SGDHyperparameters(
                                learningRate: 0.05, momentum: setting.momentum,
                                weightDecay: setting.wd, firstStep: setting.first))
                    }
                }),
            KernelSpec(
                .sgdNesterov, tolerance: 1e-10,
                cases: sgd.dropFirst().flatMap { setting in
                    counts.map {
                        sgdCase(
                            count: $0,
                            hyper: SGDHyperparameters(
                                learningRate: 0.05, momentum: setting.momentum,
                                weightDecay: setting.wd, nesterov: true,
                                firstStep: setting.first))
                    }
                }),
        ]
    }
}

/// Parameters, gradients and two state vectors (the second non-negative, as Adam's v).
private func optimInputs(_ count: Int, seed: UInt64) -> (p: [Float], g: [Float], s1: [Float], s2: [Float]) {
    var inputs = ParityInputs(seed: seed)
    return (
        inputs.floats(count, low: -0.1, high: 0.1), inputs.floats(count), inputs.floats(count, low: -0.1, high: 0.1),
        inputs.floats(count, low: 0, high: 0.05)
    )
}

private func adamCase(count: Int, hyper h: AdamHyperparameters) -> KernelCase {
    let seed = 1_100 + UInt64(count) + UInt64(h.step)
    return KernelCase(
        shape: "\(count) step \(h.step) wd \(h.weightDecay)",
        run: { device in
            let inputs = optimInputs(count, seed: seed)
            let p = try device.upload(inputs.p), m = try device.upload(inputs.s1), v = try device.upload(inputs.s2)
            try device.adamStep(p, gradient: device.upload(inputs.g), m: m, v: v, count: count, hyper: h)
            return [try device.download(p, count: count), try device.download(m, count: count), try device.download(v, count: count)]
        },
        reference: {
            let inputs = optimInputs(count, seed: seed)
            var p = inputs.p.map(Double.init), m = inputs.s1.map(Double.init), v = inputs.s2.map(Double.init)
            referenceAdamStep(&p, gradient: inputs.g.map(Double.init), m: &m, v: &v, hyper: h)
            return [p, m, v]
        })
}

/// The gated step: `hyper.step` is a decoy the kernel must ignore for `step`; apply 0 changes nothing.
private func adamGatedCase(count: Int, hyper h: AdamHyperparameters, apply: Float, scale: Float, step: Int) -> KernelCase {
    let seed = 1_150 + UInt64(count) + UInt64(step)
    return KernelCase(
        shape: "\(count) apply \(Int(apply)) scale \(scale) step \(step)",
        run: { device in
            let inputs = optimInputs(count, seed: seed)
            let p = try device.upload(inputs.p), m = try device.upload(inputs.s1), v = try device.upload(inputs.s2)
            try device.adamStepGated(
                p, gradient: device.upload(inputs.g), m: m, v: v, count: count, hyper: h,
                apply: device.upload([apply]), scale: device.upload([scale]), step: device.upload([Float(step)]))
            return [try device.download(p, count: count), try device.download(m, count: count), try device.download(v, count: count)]
        },
        reference: {
            let inputs = optimInputs(count, seed: seed)
            var p = inputs.p.map(Double.init), m = inputs.s1.map(Double.init), v = inputs.s2.map(Double.init)
            if apply != 0 {
                var stepped = h
                stepped.step = step
                referenceAdamStep(&p, gradient: inputs.g.map { Double($0) * Double(scale) }, m: &m, v: &v, hyper: stepped)
            }
            return [p, m, v]
        })
}

/// Several tensors (an empty one and more than one launch's 16 among them) with non-zero means,
/// so the sums do not cancel to nothing.
private func tensorSumsCase(counts: [Int]) -> KernelCase {
    let seed = 1_170 + UInt64(counts.count)
    @Sendable func inputs() -> [[Float]] {
        var random = ParityInputs(seed: seed)
        return counts.map { random.floats($0, low: -0.5, high: 1) }
    }
    return KernelCase(
        shape: counts.count > 3 ? "\(counts.count) tensors of 1…\(counts.max() ?? 0)" : counts.map(String.init).joined(separator: ", "),
        run: { device in
            let buffers = try inputs().map { try device.upload($0) }
            let out = try device.upload([Float](repeating: -1, count: 2 * counts.count))
            try device.tensorSums(buffers, counts: counts, out)
            return [try device.download(out, count: 2 * counts.count)]
        },
        reference: {
            [inputs().flatMap { x in [x.reduce(0.0) { $0 + Double($1) }, x.reduce(0.0) { $0 + Double($1) * Double($1) }] }]
        })
}

/// The squared norms of a U-Net's worth of gradients: 270 tensors, 2.3 M numbers in all.
@Sendable private func tensorSumsBenchmark(_ quick: Bool) -> [BenchmarkCase] {
    let counts = (0..<270).map { [73_728, 36_864, 256, 128][$0 % 4] }
    let total = counts.reduce(0, +)
    return [
        BenchmarkCase(op: "tensor_sums", shape: "270 tensors, \(total)", bytes: Double(total * 4)) { device in
            let tensors = try counts.enumerated().map { try Tensor.randomNormal([$1], seed: UInt64($0), on: device) }
            return { _ = try Tensor.sumsAndSquares(of: tensors, on: device) }
        }
    ]
}

private func sgdCase(count: Int, hyper h: SGDHyperparameters) -> KernelCase {
    let seed = 1_200 + UInt64(count)
    return KernelCase(
        shape: "\(count) momentum \(h.momentum) wd \(h.weightDecay)\(h.firstStep ? " first" : "")",
        run: { device in
            let inputs = optimInputs(count, seed: seed)
            let p = try device.upload(inputs.p), buffer = try device.upload(inputs.s1)
            try device.sgdStep(p, gradient: device.upload(inputs.g), momentumBuffer: buffer, count: count, hyper: h)
            return [try device.download(p, count: count), try device.download(buffer, count: count)]
        },
        reference: {
            let inputs = optimInputs(count, seed: seed)
            var p = inputs.p.map(Double.init), buffer = inputs.s1.map(Double.init)
            referenceSGDStep(&p, gradient: inputs.g.map(Double.init), buffer: &buffer, hyper: h)
            return [p, buffer]
        })
}

/// One Adam/AdamW step in Float64, textbook form: m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t),
/// p −= lr·m̂/(√v̂ + ε); AdamW first multiplies p by 1 − lr·wd, Adam adds wd·p to the gradient.
func referenceAdamStep(
    _ p: inout [Double], gradient: [Double], m: inout [Double], v: inout [Double],
    hyper h: AdamHyperparameters
) {
    let b1 = Double(h.beta1), b2 = Double(h.beta2), lr = Double(h.learningRate), wd = Double(h.weightDecay)
    var c1 = 1.0, c2 = 1.0
    for _ in 0..<h.step {
        c1 *= b1
        c2 *= b2
    }
    for i in p.indices {
        var g = gradient[i]
        if h.decoupledWeightDecay { p[i] *= 1 - lr * wd } else { g += wd * p[i] }
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g * g
        p[i] -= lr * (m[i] / (1 - c1)) / ((v[i] / (1 - c2)).squareRoot() + Double(h.epsilon))
    }
}

/// One SGD step in Float64 (PyTorch, dampening 0).
func referenceSGDStep(_ p: inout [Double], gradient: [Double], buffer: inout [Double], hyper h: SGDHyperparameters) {
    let mu = Double(h.momentum)
    for i in p.indices {
        let g = gradient[i] + Double(h.weightDecay) * p[i]
        var step = g
        if mu != 0 {
            buffer[i] = h.firstStep ? g : mu * buffer[i] + g
            step = h.nesterov ? g + mu * buffer[i] : buffer[i]
        }
        p[i] -= Double(h.learningRate) * step
    }
}
