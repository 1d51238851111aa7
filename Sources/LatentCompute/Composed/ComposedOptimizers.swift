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
