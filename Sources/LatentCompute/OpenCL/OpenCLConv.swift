/// im2col and col2im (Kernels/conv.cl): one work-item per written element, 3-D ranges with the
/// row axis first. The geometry travels as two int8 vectors (see the kernel file's header).
extension OpenCLDevice {
    public func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry g: ConvGeometry) throws {
        let rows = g.batch * g.columnRows
        _ = try kernelCount(rows * g.outHeight * g.outWidth, "im2col column count")
        _ = try kernelCount(g.batch * g.channels * g.height * g.width, "im2col input count")
        try launch(family: "conv", kernel: "im2col", global: [g.outWidth, g.outHeight, rows],
                   arguments: [.buffer(input), .buffer(cols)] + convGeometryArguments(g) + [.int(Int32(rows))])
    }

    public func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry g: ConvGeometry) throws {
        let planes = g.batch * g.channels
        _ = try kernelCount(g.batch * g.columnRows * g.outHeight * g.outWidth, "col2im column count")
        _ = try kernelCount(planes * g.height * g.width, "col2im input count")
        try launch(family: "conv", kernel: "col2im", global: [g.width, g.height, planes],
                   arguments: [.buffer(cols), .buffer(input)] + convGeometryArguments(g) + [.int(Int32(planes))])
    }

    private func convGeometryArguments(_ g: ConvGeometry) -> [KernelArgument] {
        let first = [g.channels, g.height, g.width, g.kernelHeight, g.kernelWidth, g.strideY, g.strideX, g.padY]
        let second = [g.padX, g.dilationY, g.dilationX, g.outHeight, g.outWidth]
        return [.int8(first.map { Int32(truncatingIfNeeded: $0) }), .int8(second.map { Int32(truncatingIfNeeded: $0) })]
    }
}
