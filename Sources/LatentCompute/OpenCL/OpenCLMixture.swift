/// The Gaussian-mixture kernels (Kernels/mixture.cl), explicit 8-wide vectors on 1-D ranges with
/// work-groups of 64 (measured on PoCL: 2-D ranges got work-groups so small that their overhead
/// cost about 10x). The scatter and the moments run in two launches each: per-slab partial sums,
/// then `reduce`. Argument checks: `MixtureShape.validate`, shared with the CPU backend.
extension OpenCLDevice {
    static let mixtureGroup = 64
    /// Rows per partial sum of `gaussian_scatter_slabs` and `gaussian_moments_slabs` (MIXTURE_SLAB in
    /// the kernel). 256 rather than 64: a quarter of the partial sums to write and `reduce`, and each
    /// work-item's per-group setup spread over 4x the rows (PoCL, N10000 K10 D784: scatter 12 -> 7.3 ms,
    /// moments 9.9 -> 6.0 ms; N60000 K10 D16: 0.77 -> 0.53 and 1.03 -> 0.87 ms, loaded machine).
    static let mixtureSlab = 256

    public func gaussianLogDensity(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validateDensity("gaussianLogDensity", x: x, means: means, precisions: precisions, offsets: offsets, out: out)
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

    public func gaussianResponsibilities(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, logLikelihood: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validateDensity(
            "gaussianResponsibilities", x: x, means: means, precisions: precisions, offsets: offsets, out: out,
            logLikelihood: logLikelihood)
        _ = try kernelCount(shape.rows)
        _ = try kernelCount(shape.perRow)
        if count == 0 || components == 0 { return }
        let g = Self.mixtureGroup
        try launch(
            family: "mixture", kernel: "gaussian_responsibilities", global: [((count + 3) / 4 + g - 1) / g * g], local: [g],
            arguments: [
                .buffer(x), .buffer(means), .buffer(precisions), .buffer(offsets), .buffer(out), .buffer(logLikelihood),
                .int(Int32(count)), .int(Int32(components)), .int(Int32(dimension)),
            ])
    }

    public func gaussianScatter(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, means: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validate(
            "gaussianScatter",
            [("x", x, shape.rows), ("weights", weights, shape.perRow), ("means", means, shape.table), ("out", out, shape.table)])
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

    public func gaussianMoments(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validate("gaussianMoments", [("x", x, shape.rows), ("weights", weights, shape.perRow), ("out", out, shape.moments)])
        _ = try kernelCount(shape.rows)
        _ = try kernelCount(shape.perRow)
        if components == 0 { return }
        guard count > 0 else { return try fill(out, count: shape.moments, value: 0) }
        let slabs = (count + Self.mixtureSlab - 1) / Self.mixtureSlab
        let items = max(1, (dimension + 7) / 8) * slabs, g = Self.mixtureGroup
        let partial = try makeBuffer(byteCount: slabs * shape.moments * 4)
        _ = try kernelCount(slabs * shape.moments)
        try launch(
            family: "mixture", kernel: "gaussian_moments_slabs", global: [(items + g - 1) / g * g], local: [g],
            arguments: [
                .buffer(x), .buffer(weights), .buffer(partial), .int(Int32(count)), .int(Int32(components)),
                .int(Int32(dimension)),
            ])
        try reduce(.sum, partial, out, outer: 1, length: slabs, inner: shape.moments)
    }
}
