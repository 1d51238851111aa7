/// Parity registrations of the conv family (Kernels/conv.cl, CPU/Conv.swift): im2col and col2im
/// over awkward geometries, with naive Float64 references written from the definition.
extension KernelRegistry {
    public static var convKernels: [KernelSpec] {
        let geometries: [ConvGeometry] = [
            ConvGeometry(batch: 1, channels: 1, height: 1, width: 1, kernelHeight: 1, kernelWidth: 1),
            ConvGeometry(batch: 2, channels: 3, height: 7, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)),
            ConvGeometry(batch: 1, channels: 2, height: 11, width: 13, kernelHeight: 3, kernelWidth: 3, stride: (2, 2)),
            ConvGeometry(
                batch: 2, channels: 3, height: 9, width: 9, kernelHeight: 4, kernelWidth: 4,
                stride: (2, 2), padding: (1, 1)),
            ConvGeometry(
                batch: 1, channels: 2, height: 13, width: 11, kernelHeight: 3, kernelWidth: 3,
                padding: (2, 2), dilation: (2, 2)),
            ConvGeometry(batch: 3, channels: 5, height: 6, width: 7, kernelHeight: 1, kernelWidth: 1),
            ConvGeometry(
                batch: 1, channels: 3, height: 8, width: 8, kernelHeight: 2, kernelWidth: 3,
                stride: (2, 1), padding: (0, 1), dilation: (1, 2)),
            ConvGeometry(
                batch: 1, channels: 2, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3,
                stride: (3, 3), padding: (2, 2)),
            ConvGeometry(batch: 4, channels: 16, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)),
        ]
        let im2colCases = geometries.enumerated().map { index, g in
            KernelCase(
                shape: g.description,
                run: { device in
                    var inputs = ParityInputs(seed: 500 + UInt64(index))
                    let x = inputs.floats(g.batch * g.channels * g.height * g.width)
                    let cols = try device.upload([Float](repeating: .nan, count: convColumnCount(g)))  // must be overwritten
                    try device.im2col(device.upload(x), cols, geometry: g)
                    return [try device.download(cols, count: convColumnCount(g))]
                },
                reference: {
                    var inputs = ParityInputs(seed: 500 + UInt64(index))
                    let x = inputs.floats(g.batch * g.channels * g.height * g.width).map(Double.init)
                    return [referenceIm2col(x, g)]
                })
        }
        let col2imCases = geometries.enumerated().map { index, g in
            KernelCase(
                shape: g.description,
                run: { device in
                    var inputs = ParityInputs(seed: 600 + UInt64(index))
                    let cols = inputs.floats(convColumnCount(g))
                    let count = g.batch * g.channels * g.height * g.width
                    let image = try device.upload([Float](repeating: .nan, count: count))  // must be overwritten
                    try device.col2im(device.upload(cols), image, geometry: g)
                    return [try device.download(image, count: count)]
                },
                reference: {
                    var inputs = ParityInputs(seed: 600 + UInt64(index))
                    return [referenceCol2im(inputs.floats(convColumnCount(g)).map(Double.init), g)]
                })
        }
        return [
            KernelSpec(.im2col, tolerance: 0, deviceShaped: true, cases: im2colCases),
            KernelSpec(.col2im, tolerance: 1e-12, deviceShaped: true, cases: col2imCases),
        ]
    }
}

/// Elements of the column matrix of `g`.
func convColumnCount(_ g: ConvGeometry) -> Int { g.batch * g.columnRows * g.outHeight * g.outWidth }

/// Calls body(column index, input index or nil for padding) for every column entry, straight from
/// the definition of im2col.
func forEachConvColumnEntry(_ g: ConvGeometry, _ body: (Int, Int?) -> Void) {
    let outH = g.outHeight, outW = g.outWidth
    for n in 0..<g.batch {
        for c in 0..<g.channels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            let row = (c * g.kernelHeight + i) * g.kernelWidth + j
                            let column = (n * g.columnRows + row) * outH * outW + oy * outW + ox
                            let y = oy * g.strideY - g.padY + i * g.dilationY
                            let x = ox * g.strideX - g.padX + j * g.dilationX
                            let inside = y >= 0 && y < g.height && x >= 0 && x < g.width
                            body(column, inside ? ((n * g.channels + c) * g.height + y) * g.width + x : nil)
                        }
                    }
                }
            }
        }
    }
}

/// im2col in Float64 from the definition.
func referenceIm2col(_ x: [Double], _ g: ConvGeometry) -> [Double] {
    var cols = [Double](repeating: 0, count: convColumnCount(g))
    forEachConvColumnEntry(g) { column, source in cols[column] = source.map { x[$0] } ?? 0 }
    return cols
}

/// col2im in Float64: every column entry added to the input position im2col reads it from.
func referenceCol2im(_ cols: [Double], _ g: ConvGeometry) -> [Double] {
    var image = [Double](repeating: 0, count: g.batch * g.channels * g.height * g.width)
    forEachConvColumnEntry(g) { column, source in
        if let source { image[source] += cols[column] }
    }
    return image
}
