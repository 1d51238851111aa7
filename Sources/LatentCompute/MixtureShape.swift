/// The sizes of one Gaussian-mixture kernel call (`gaussianLogDensity`, `gaussianScatter`,
/// `gaussianMoments`): `count` rows of `dimension` features and `components` Gaussians. Its
/// `validate` holds the argument checks every backend runs before a launch (as
/// `GemmEpilogue.validate` does for products), so the backends cannot drift apart.
struct MixtureShape {
    let count: Int
    let components: Int
    let dimension: Int

    /// Throws for a negative size or a buffer smaller than the floats it must hold; `buffers` pairs
    /// each operand's name with its buffer and its element count.
    /// The buffers of the density kernels (gaussianLogDensity, gaussianResponsibilities), for both backends.
    func validateDensity(
        _ kernel: String, x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer,
        offsets: any DeviceBuffer, out: any DeviceBuffer, logLikelihood: (any DeviceBuffer)? = nil
    ) throws {
        var buffers: [(name: String, buffer: any DeviceBuffer, floats: Int)] = [
            ("x", x, rows), ("means", means, table), ("precisions", precisions, table),
            ("offsets", offsets, components), ("out", out, perRow),
        ]
        if let logLikelihood { buffers.append(("logLikelihood", logLikelihood, count)) }
        try validate(kernel, buffers)
    }

    func validate(_ kernel: String, _ buffers: [(name: String, buffer: any DeviceBuffer, floats: Int)]) throws {
        guard count >= 0, components >= 0, dimension >= 0 else {
            throw ComputeError.invalidArgument("\(kernel): negative size (\(count), \(components), \(dimension))")
        }
        for operand in buffers where operand.floats * 4 > operand.buffer.byteCount {
            throw ComputeError.invalidArgument(
                "\(kernel): the \(operand.name) buffer holds \(operand.buffer.byteCount / 4) floats, needs \(operand.floats)")
        }
    }

    /// x [count × dimension].
    var rows: Int { count * dimension }
    /// means, precisions, scatter [components × dimension].
    var table: Int { components * dimension }
    /// log-densities, weights [count × components].
    var perRow: Int { count * components }
    /// moments [components × (dimension + 1)].
    var moments: Int { components * (dimension + 1) }
}
