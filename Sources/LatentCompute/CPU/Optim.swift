#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fused optimizer steps on the CPU backend (in place, SIMD, over worker threads).
extension CPUDevice {
    public func adamStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters
    ) throws {
        try adamLoop(parameter, gradient: gradient, m: m, v: v, count: count, constants: AdamConstants(hyper), gradientScale: nil)
    }

    public func adamStepGated(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters, apply: any DeviceBuffer, scale: any DeviceBuffer,
        step: any DeviceBuffer
    ) throws {
        guard try cpu(apply).floats[0] != 0 else { return }
        var h = hyper
        h.step = Int(try cpu(step).floats[0])
        let factor = try cpu(scale).floats[0]
        try adamLoop(
            parameter, gradient: gradient, m: m, v: v, count: count, constants: AdamConstants(h),
            gradientScale: factor == 1 ? nil : factor)
    }

    /// Adam's update with the constants of one step; `gradientScale` multiplies each gradient first.
    private func adamLoop(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, constants c: AdamConstants, gradientScale: Float?
    ) throws {
        let pp = try cpu(parameter).floats, pg = try cpu(gradient).floats, pm = try cpu(m).floats, pv = try cpu(v).floats
        parallelFor(count, grain: 32_768) { start, end in
            var i = start
            while i + FloatLanes.scalarCount <= end {
                var p = loadLanes(pp, i), g = loadLanes(pg, i)
                if let gradientScale { g *= gradientScale }
                if c.coupledDecay != 0 { g += c.coupledDecay * p }
                p *= c.decoupledFactor
                let mi = c.beta1 * loadLanes(pm, i) + c.oneMinusBeta1 * g
                let vi = c.beta2 * loadLanes(pv, i) + c.oneMinusBeta2 * (g * g)
                p -= c.stepSize * mi / (vi.squareRoot() / c.correction2Root + c.epsilon)
                storeLanes(mi, pm, i)
                storeLanes(vi, pv, i)
                storeLanes(p, pp, i)
                i += FloatLanes.scalarCount
            }
            while i < end {
                var p = pp[i], g = pg[i]
                if let gradientScale { g *= gradientScale }
                if c.coupledDecay != 0 { g += c.coupledDecay * p }
                p *= c.decoupledFactor
                let mi = c.beta1 * pm[i] + c.oneMinusBeta1 * g
                let vi = c.beta2 * pv[i] + c.oneMinusBeta2 * (g * g)
                p -= c.stepSize * mi / (vi.squareRoot() / c.correction2Root + c.epsilon)
                pm[i] = mi
                pv[i] = vi
                pp[i] = p
                i += 1
            }
        }
    }

    /// One task per tensor, each summed in Double (then rounded to Float).
    public func tensorSums(_ tensors: [any DeviceBuffer], counts: [Int], _ out: any DeviceBuffer) throws {
        guard tensors.count == counts.count else {
            throw ComputeError.invalidArgument("tensorSums of \(tensors.count) tensors with \(counts.count) counts")
        }
        let inputs = try tensors.map { try cpu($0).floats }, po = try cpu(out).floats
        parallelFor(tensors.count, grain: 1) { start, end in
            for k in start..<end {
                var sum = 0.0, squares = 0.0
                let x = inputs[k]
                for i in 0..<counts[k] {
                    let v = Double(x[i])
                    sum += v
                    squares += v * v
                }
                po[2 * k] = Float(sum)
                po[2 * k + 1] = Float(squares)
            }
        }
    }

    public func sgdStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, momentumBuffer: any DeviceBuffer,
        count: Int, hyper: SGDHyperparameters
    ) throws {
        let pp = try cpu(parameter).floats, pg = try cpu(gradient).floats, pb = try cpu(momentumBuffer).floats
        let lr = hyper.learningRate, mu = hyper.momentum, wd = hyper.weightDecay
        let useMomentum = mu != 0, first = hyper.firstStep, nesterov = hyper.nesterov
        parallelFor(count, grain: 32_768) { start, end in
            var i = start
            while i + FloatLanes.scalarCount <= end {
                let p = loadLanes(pp, i)
                let g = loadLanes(pg, i) + wd * p
                var step = g
                if useMomentum {
                    let buffer = first ? g : mu * loadLanes(pb, i) + g
                    storeLanes(buffer, pb, i)
                    step = nesterov ? g + mu * buffer : buffer
                }
                storeLanes(p - lr * step, pp, i)
                i += FloatLanes.scalarCount
            }
            while i < end {
                let p = pp[i]
                let g = pg[i] + wd * p
                var step = g
                if useMomentum {
                    let buffer = first ? g : mu * pb[i] + g
                    pb[i] = buffer
                    step = nesterov ? g + mu * buffer : buffer
                }
                pp[i] = p - lr * step
                i += 1
            }
        }
    }
}

/// Adam's per-step constants, in PyTorch's arrangement: p ← p·(1 − lr·wd) for AdamW (coupled
/// decay adds wd·p to g instead), m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
/// p ← p − (lr/bc1)·m/(√v/√bc2 + ε), with bc_k = 1 − β_k^step computed in Double.
/// Shared by the CPU and OpenCL backends so both round the same constants.
struct AdamConstants {
    let beta1: Float, beta2: Float, oneMinusBeta1: Float, oneMinusBeta2: Float
    let epsilon: Float, stepSize: Float, correction2Root: Float
    /// wd for Adam's L2 term added to the gradient, else 0.
    let coupledDecay: Float
    /// 1 − lr·wd for AdamW, else 1.
    let decoupledFactor: Float

    init(_ h: AdamHyperparameters) {
        let step = Double(max(h.step, 1))
        let correction1 = 1 - pow(Double(h.beta1), step)
        let correction2 = 1 - pow(Double(h.beta2), step)
        beta1 = h.beta1
        beta2 = h.beta2
        oneMinusBeta1 = 1 - h.beta1
        oneMinusBeta2 = 1 - h.beta2
        epsilon = h.epsilon
        stepSize = Float(Double(h.learningRate) / correction1)
        correction2Root = Float(correction2.squareRoot())
        coupledDecay = h.decoupledWeightDecay ? 0 : h.weightDecay
        decoupledFactor = h.decoupledWeightDecay ? Float(1 - Double(h.learningRate) * Double(h.weightDecay)) : 1
    }
}
