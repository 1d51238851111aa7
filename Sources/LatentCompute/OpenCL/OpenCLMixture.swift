/// The Gaussian-mixture kernels (Kernels/mixture.cl): one launch each, explicit 8-wide vectors
/// (PoCL does not vectorise across these work-items' loops on its own).
extension OpenCLDevice {
    public func gaussianLogDensity(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        guard count >= 0, components >= 0, dimension >= 0 else {
            throw ComputeError.invalidArgument("gaussianLogDensity: negative size (\(count), \(components), \(dimension))")
        }
        _ = try kernelCount(count * dimension)
        _ = try kernelCount(count * components)
        if count == 0 || components == 0 { return }
        try launch(
            family: "mixture", kernel: "gaussian_log_density", global: [(count + 3) / 4, components],
            arguments: [
                .buffer(x), .buffer(means), .buffer(precisions), .buffer(offsets), .buffer(out),
                .int(Int32(count)), .int(Int32(components)), .int(Int32(dimension)),
            ])
    }

    public func gaussianScatter(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, means: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        guard count >= 0, components >= 0, dimension >= 0 else {
            throw ComputeError.invalidArgument("gaussianScatter: negative size (\(count), \(components), \(dimension))")
        }
        _ = try kernelCount(count * dimension)
        _ = try kernelCount(count * components)
        if components == 0 || dimension == 0 { return }
        try launch(
            family: "mixture", kernel: "gaussian_scatter", global: [(dimension + 7) / 8, components],
            arguments: [
                .buffer(x), .buffer(weights), .buffer(means), .buffer(out), .int(Int32(count)),
                .int(Int32(components)), .int(Int32(dimension)),
            ])
    }
}
