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
