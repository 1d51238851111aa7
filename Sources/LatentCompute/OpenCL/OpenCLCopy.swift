/// Fill and copy kernels (Kernels/copy.cl).
extension OpenCLDevice {
    public func fill(_ out: any DeviceBuffer, count: Int, value: Float) throws {
        try launch(
            family: "copy", kernel: "fill", global: [(count + 3) / 4],
            arguments: [.buffer(out), .int(kernelCount(count)), .float(value)])
    }

    public func copy(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        try launch(
            family: "copy", kernel: "copy", global: [(count + 3) / 4],
            arguments: [.buffer(x), .buffer(out), .int(kernelCount(count))])
    }

    public func copyStrided(_ x: any DeviceBuffer, _ out: any DeviceBuffer, layout: StridedCopyLayout) throws {
        let range = try StridedRange(shape: layout.shape, operandStrides: [layout.xStrides, layout.outStrides], device: self)
        try launch(
            family: "copy", kernel: range.rows ? "copy_strided_rows" : "copy_strided", global: range.global, local: range.local,
            arguments: [
                .buffer(x), .buffer(out), .int8(range.shape), .int(range.rank),
                .int8(range.strides(layout.xStrides)), .int(kernelCount(layout.xOffset, "offset")),
                .int8(range.strides(layout.outStrides)), .int(kernelCount(layout.outOffset, "offset")),
            ])
    }

    public func gather(
        _ table: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, tableRows: Int
    ) throws {
        _ = try kernelCount(indexCount * rowLength)
        _ = try kernelCount(tableRows * rowLength)
        try launch(
            family: "copy", kernel: "gather", global: [rowLength, indexCount],
            arguments: [
                .buffer(table), .buffer(indices), .buffer(out), .int(Int32(rowLength)), .int(Int32(tableRows)),
            ])
    }

    public func scatterAdd(
        _ source: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, outRows: Int
    ) throws {
        _ = try kernelCount(indexCount * rowLength)
        _ = try kernelCount(outRows * rowLength)
        try launch(
            family: "copy", kernel: "scatter_add", global: [rowLength, indexCount],
            arguments: [
                .buffer(source), .buffer(indices), .buffer(out), .int(Int32(rowLength)), .int(Int32(outRows)),
            ])
    }
}
