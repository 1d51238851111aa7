/// The Gaussian-mixture kernels (Kernels/mixture.cl), explicit 8-wide vectors on 1-D ranges with
/// work-groups of 64 (measured on PoCL: 2-D ranges got work-groups so small that their overhead
/// cost about 10x). The scatter runs in two launches: per-slab partial sums, then `reduce`.
extension OpenCLDevice {
    static let mixtureGroup = 64
    /// Rows per partial sum of `gaussian_scatter_slabs` (MIXTURE_SLAB in the kernel).
    static let mixtureSlab = 64

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
        let g = Self.mixtureGroup
        try launch(
            family: "mixture", kernel: "gaussian_log_density", global: [((count + 3) / 4 + g - 1) / g * g], local: [g],
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
        guard count > 0 else { return try fill(out, count: components * dimension, value: 0) }
        let slabs = (count + Self.mixtureSlab - 1) / Self.mixtureSlab
        let items = (dimension + 7) / 8 * slabs, g = Self.mixtureGroup
        let partial = try makeBuffer(byteCount: slabs * components * dimension * 4)
        _ = try kernelCount(slabs * components * dimension)
        try launch(
            family: "mixture", kernel: "gaussian_scatter_slabs", global: [(items + g - 1) / g * g], local: [g],
            arguments: [
                .buffer(x), .buffer(weights), .buffer(means), .buffer(partial), .int(Int32(count)),
                .int(Int32(components)), .int(Int32(dimension)),
            ])
        try reduce(.sum, partial, out, outer: 1, length: slabs, inner: components * dimension)
    }
}
