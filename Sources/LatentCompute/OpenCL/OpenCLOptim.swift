/// Fused optimizer steps (Kernels/optim.cl); Adam's constants come from `AdamConstants`, shared with
/// the CPU backend.
extension OpenCLDevice {
    public func adamStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters
    ) throws {
        let c = AdamConstants(hyper)
        try launch(
            family: "optim", kernel: "adam_step", global: [count],
            arguments: [
                .buffer(parameter), .buffer(gradient), .buffer(m), .buffer(v), .int(kernelCount(count)),
                .float(c.beta1), .float(c.beta2), .float(c.oneMinusBeta1), .float(c.oneMinusBeta2), .float(c.epsilon),
                .float(c.stepSize), .float(c.correction2Root), .float(c.coupledDecay), .float(c.decoupledFactor),
            ])
    }

    /// The decision, clip factor and t come from device buffers; the bias corrections are computed
    /// once per work-group from t, in double where the device has it (as `AdamConstants` does).
    public func adamStepGated(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters, apply: any DeviceBuffer, scale: any DeviceBuffer,
        step: any DeviceBuffer
    ) throws {
        let c = AdamConstants(hyper)
        try launch(
            family: "optim", kernel: "adam_step_gated", global: [count],
            arguments: [
                .buffer(parameter), .buffer(gradient), .buffer(m), .buffer(v), .int(kernelCount(count)),
                .buffer(apply), .buffer(scale), .buffer(step),
                .float(c.beta1), .float(c.beta2), .float(c.oneMinusBeta1), .float(c.oneMinusBeta2), .float(c.epsilon),
                .float(hyper.learningRate), .float(c.coupledDecay), .float(c.decoupledFactor),
            ])
    }

    /// `tensor_sums` takes 16 tensors per launch, one work-group each (unused slots repeat the first
    /// tensor with a count of 0).
    public func tensorSums(_ tensors: [any DeviceBuffer], counts: [Int], _ out: any DeviceBuffer) throws {
        guard tensors.count == counts.count else {
            throw ComputeError.invalidArgument("tensorSums of \(tensors.count) tensors with \(counts.count) counts")
        }
        let perLaunch = 16, groupSize = 128
        for start in stride(from: 0, to: tensors.count, by: perLaunch) {
            let end = min(start + perLaunch, tensors.count)
            var arguments: [KernelArgument] = [.buffer(out), .int(Int32(2 * start))]
            for k in start..<(start + perLaunch) {
                if k < end {
                    arguments += [.buffer(tensors[k]), .int(try kernelCount(counts[k]))]
                } else {
                    arguments += [.buffer(tensors[start]), .int(0)]
                }
            }
            try launch(
                family: "optim", kernel: "tensor_sums", global: [groupSize * (end - start)], local: [groupSize],
                arguments: arguments)
        }
    }

    public func sgdStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, momentumBuffer: any DeviceBuffer,
        count: Int, hyper: SGDHyperparameters
    ) throws {
        try launch(
            family: "optim", kernel: "sgd_step", global: [count],
            arguments: [
                .buffer(parameter), .buffer(gradient), .buffer(momentumBuffer), .int(kernelCount(count)),
                .float(hyper.learningRate), .float(hyper.momentum), .float(hyper.weightDecay),
                .int(hyper.momentum != 0 ? 1 : 0), .int(hyper.firstStep ? 1 : 0), .int(hyper.nesterov ? 1 : 0),
            ])
    }
}
