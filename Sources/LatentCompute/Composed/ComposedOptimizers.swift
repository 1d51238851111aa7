/// The optimizer steps composed from elementwise kernels, with PyTorch's formulas and the same
/// constants as the fused kernels (`AdamConstants`).
extension FusedKernels where Self: Device {
    public func adamStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters
    ) throws {
        let c = AdamConstants(hyper)
        let g = try scratch(count), update = try scratch(count)
        // Adam's L2 term: g + wd·p; AdamW instead shrinks p by 1 − lr·wd.
        try axpby(alpha: 1, gradient, beta: c.coupledDecay, parameter, g, count: count)
        try affine(parameter, parameter, count: count, scale: c.decoupledFactor, shift: 0)
        try axpby(alpha: c.beta1, m, beta: c.oneMinusBeta1, g, m, count: count)
        try unary(.square, g, g, count: count)
        try axpby(alpha: c.beta2, v, beta: c.oneMinusBeta2, g, v, count: count)
        // p −= stepSize·m / (√v / √(1 − β2ᵗ) + ε)
        try unary(.sqrt, v, update, count: count)
        try affine(update, update, count: count, scale: 1 / c.correction2Root, shift: c.epsilon)
        try elementwise(.div, m, update, update, count: count)
        try axpby(alpha: 1, parameter, beta: -c.stepSize, update, parameter, count: count)
    }

    /// The gated step for a backend without its own kernel: it reads the three scalars back (a
    /// host wait per call, which the native kernels avoid) and runs `adamStep` on the scaled gradient.
    public func adamStepGated(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters, apply: any DeviceBuffer, scale: any DeviceBuffer,
        step: any DeviceBuffer
    ) throws {
        let gate = try [apply, scale, step].map { buffer in
            var value: Float = 0
            try withUnsafeMutableBytes(of: &value) { try read(buffer, byteOffset: 0, into: $0) }
            return value
        }
        guard gate[0] != 0 else { return }
        var h = hyper
        h.step = Int(gate[2])
        guard gate[1] != 1 else { return try adamStep(parameter, gradient: gradient, m: m, v: v, count: count, hyper: h) }
        let scaled = try scratch(count)
        try affine(gradient, scaled, count: count, scale: gate[1], shift: 0)
        try adamStep(parameter, gradient: scaled, m: m, v: v, count: count, hyper: h)
    }

    /// Per tensor: a sum, a square and a sum of the squares, each result copied into its slot.
    public func tensorSums(_ tensors: [any DeviceBuffer], counts: [Int], _ out: any DeviceBuffer) throws {
        guard tensors.count == counts.count else {
            throw ComputeError.invalidArgument("tensorSums of \(tensors.count) tensors with \(counts.count) counts")
        }
        let sums = try scratch(2)
        for (k, (x, count)) in zip(tensors, counts).enumerated() {
            if count == 0 {
                try fill(sums, count: 2, value: 0)
            } else {
                let squares = try scratch(count), total = try scratch(1)
                try reduce(.sum, x, sums, outer: 1, length: count, inner: 1)
                try unary(.square, x, squares, count: count)
                try reduce(.sum, squares, total, outer: 1, length: count, inner: 1)
                try copyStrided(total, sums, layout: StridedCopyLayout(shape: [1], xStrides: [1], outStrides: [1], outOffset: 1))
            }
            try copyStrided(sums, out, layout: StridedCopyLayout(shape: [2], xStrides: [1], outStrides: [1], outOffset: 2 * k))
        }
    }

    public func sgdStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, momentumBuffer: any DeviceBuffer,
        count: Int, hyper h: SGDHyperparameters
    ) throws {
        let g = try scratch(count)
        try axpby(alpha: 1, gradient, beta: h.weightDecay, parameter, g, count: count)
        var step = g
        if h.momentum != 0 {
            if h.firstStep {
                try copy(g, momentumBuffer, count: count)
            } else {
                try axpby(alpha: h.momentum, momentumBuffer, beta: 1, g, momentumBuffer, count: count)
            }
            if h.nesterov {
                try axpby(alpha: 1, g, beta: h.momentum, momentumBuffer, g, count: count)
            } else {
                step = momentumBuffer
            }
        }
        try axpby(alpha: 1, parameter, beta: -h.learningRate, step, parameter, count: count)
    }
}
