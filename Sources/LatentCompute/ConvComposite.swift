/// Convolution composed from the kernel set: im2col (or col2im) of the whole batch plus one
/// batched GEMM. This is every backend's default; the CPU backend overrides it with a per-image
/// fused loop that keeps the column matrix in cache (CPU/ConvFused.swift) and falls back here
/// when the batch is too small to split across threads.
extension TrainingKernels where Self: Device {
    public func conv2d(_ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
                       geometry g: ConvGeometry, outChannels: Int) throws {
        try composedConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels)
    }

    public func conv2dBackwardInput(_ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
                                    geometry g: ConvGeometry, outChannels: Int) throws {
        try composedConv2dBackwardInput(gradOutput, weight: weight, gradInput, geometry: g, outChannels: outChannels)
    }

    public func conv2dBackwardWeight(_ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
                                     geometry g: ConvGeometry, outChannels: Int) throws {
        try composedConv2dBackwardWeight(input, gradOutput, gradWeight, geometry: g, outChannels: outChannels)
    }

    func composedConv2d(_ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
                        geometry g: ConvGeometry, outChannels: Int) throws {
        let rows = g.columnRows, pixels = g.outHeight * g.outWidth
        guard g.batch > 0, outChannels > 0, pixels > 0 else { return }
        let cols = try makeBuffer(byteCount: g.batch * rows * pixels * 4)
        try im2col(input, cols, geometry: g)
        try gemm(weight, cols, output, shape: GemmShape(batch: g.batch, m: outChannels, n: pixels, k: rows,
                                                        strideA: 0, strideB: rows * pixels, strideC: outChannels * pixels))
    }

    func composedConv2dBackwardInput(_ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
                                     geometry g: ConvGeometry, outChannels: Int) throws {
        let rows = g.columnRows, pixels = g.outHeight * g.outWidth
        guard g.batch > 0, g.channels * g.height * g.width > 0 else { return }
        let cols = try makeBuffer(byteCount: max(1, g.batch * rows * pixels) * 4)
        try gemm(weight, gradOutput, cols, shape: GemmShape(batch: g.batch, m: rows, n: pixels, k: outChannels,
                                                            transposeA: true, strideA: 0, strideB: outChannels * pixels,
                                                            strideC: rows * pixels))
        try col2im(cols, gradInput, geometry: g)
    }

    func composedConv2dBackwardWeight(_ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
                                      geometry g: ConvGeometry, outChannels: Int) throws {
        let rows = g.columnRows, pixels = g.outHeight * g.outWidth
        guard outChannels * rows > 0 else { return }
        guard g.batch > 0, pixels > 0 else {
            try fill(gradWeight, count: outChannels * rows, value: 0)
            return
        }
        let cols = try makeBuffer(byteCount: g.batch * rows * pixels * 4)
        try im2col(input, cols, geometry: g)
        // One product per image, then a fixed-order sum over the batch (no racing accumulation).
        let perImage = try makeBuffer(byteCount: g.batch * outChannels * rows * 4)
        try gemm(gradOutput, cols, perImage, shape: GemmShape(batch: g.batch, m: outChannels, n: rows, k: pixels,
                                                              transposeB: true, strideA: outChannels * pixels,
                                                              strideB: rows * pixels, strideC: outChannels * rows))
        try reduce(.sum, perImage, gradWeight, outer: 1, length: g.batch, inner: outChannels * rows)
    }
}
