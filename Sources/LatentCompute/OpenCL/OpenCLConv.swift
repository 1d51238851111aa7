/// im2col and col2im (Kernels/conv.cl). GPUs get one work-item per written element (3-D ranges,
/// row axis first, coalesced); CPU devices (PoCL) one work-item per output row with straight loops,
/// about 7x faster there (PoCL, 64x64x28x28 3x3: 116 ms against 792 ms). The geometry travels as
/// two int8 vectors (see the kernel file's header).
extension OpenCLDevice {
    public func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry g: ConvGeometry) throws {
        try im2col(input, cols, geometry: g, perRow: usesCPUShapedKernels)
    }

    public func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry g: ConvGeometry) throws {
        try col2im(cols, input, geometry: g, perRow: usesCPUShapedKernels)
    }

    /// `perRow` picks the CPU-device kernel variant (tests run both on any device).
    func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry g: ConvGeometry, perRow: Bool) throws {
        let rows = g.batch * g.columnRows
        _ = try kernelCount(rows * g.outHeight * g.outWidth, "im2col column count")
        _ = try kernelCount(g.batch * g.channels * g.height * g.width, "im2col input count")
        try launch(
            family: "conv", kernel: perRow ? "im2col_rows" : "im2col",
            global: perRow ? [g.outHeight, rows] : [g.outWidth, g.outHeight, rows],
            arguments: [.buffer(input), .buffer(cols)] + convGeometryArguments(g) + [.int(Int32(rows))])
    }

    func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry g: ConvGeometry, perRow: Bool) throws {
        let planes = g.batch * g.channels
        _ = try kernelCount(g.batch * g.columnRows * g.outHeight * g.outWidth, "col2im column count")
        _ = try kernelCount(planes * g.height * g.width, "col2im input count")
        try launch(
            family: "conv", kernel: perRow ? "col2im_rows" : "col2im",
            global: perRow ? [g.height, planes] : [g.width, g.height, planes],
            arguments: [.buffer(cols), .buffer(input)] + convGeometryArguments(g) + [.int(Int32(planes))])
    }

    private func convGeometryArguments(_ g: ConvGeometry) -> [KernelArgument] {
        let first = [g.channels, g.height, g.width, g.kernelHeight, g.kernelWidth, g.strideY, g.strideX, g.padY]
        let second = [g.padX, g.dilationY, g.dilationX, g.outHeight, g.outWidth]
        return [.int8(first.map { Int32(truncatingIfNeeded: $0) }), .int8(second.map { Int32(truncatingIfNeeded: $0) })]
    }
}
