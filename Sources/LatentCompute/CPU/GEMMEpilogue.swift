/// The products with an epilogue on the CPU: the product or convolution as it is, then one pass
/// adding the bias and the residual (the pass is what the fused kernel saves on a GPU: launches;
/// here the rows are still in cache).
extension CPUDevice {
    public func gemmEpilogue(
        _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape, epilogue: GemmEpilogue
    ) throws {
        try epilogue.validate(for: shape)
        try gemm(a, b, c, shape: shape)
        try addEpilogue(epilogue, to: c, shape: shape)
    }

    public func conv2dEpilogue(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue
    ) throws {
        let pixels = g.outHeight * g.outWidth
        let shape = GemmShape(
            batch: g.batch, m: outChannels, n: pixels, k: g.columnRows, strideA: 0,
            strideB: g.columnRows * pixels, strideC: outChannels * pixels)
        try epilogue.validate(for: shape)
        try conv2d(input, weight: weight, output, geometry: g, outChannels: outChannels)
        try addEpilogue(epilogue, to: output, shape: shape)
    }

    /// c[z, i, j] = residual + (c + bias), one task per row of C.
    private func addEpilogue(_ e: GemmEpilogue, to c: any DeviceBuffer, shape s: GemmShape) throws {
        guard !e.isEmpty, s.batch > 0, s.m > 0, s.n > 0 else { return }
        let out = try cpu(c).floats
        let bias = try e.bias.map { (values: try cpu($0.buffer).floats, operand: $0) }
        let residual = try e.residual.map { (values: try cpu($0.buffer).floats, operand: $0) }
        let (m, n, strideC) = (s.m, s.n, s.strideC)
        parallelFor(s.batch * m, grain: max(1, 16_384 / n)) { start, end in
            for row in start..<end {
                let (z, i) = row.quotientAndRemainder(dividingBy: m)
                let line = out + z * strideC + i * n
                if let bias {
                    let o = bias.operand
                    epilogueAdd(bias.values + z * o.batchStride + i * o.rowStride, columnStride: o.columnStride, to: line, n)
                }
                if let residual {
                    let o = residual.operand
                    epilogueAdd(residual.values + z * o.batchStride + i * o.rowStride, columnStride: o.columnStride, to: line, n)
                }
            }
        }
    }
}

/// line[j] = base[j·columnStride] + line[j] for j < n, with 8-lane vectors for the two strides the
/// models use: 0 (a per-row bias or time term broadcast along the row) and 1 (a residual). Float
/// addition commutes, so every path gives the same bits as the scalar loop.
@inline(__always)
private func epilogueAdd(_ base: UnsafeMutablePointer<Float>, columnStride: Int, to line: UnsafeMutablePointer<Float>, _ n: Int) {
    var j = 0
    if columnStride == 0 {
        let value = base[0], lanes = FloatLanes(repeating: value)
        while j + FloatLanes.scalarCount <= n {
            storeLanes(lanes + loadLanes(line, j), line, j)
            j += FloatLanes.scalarCount
        }
        while j < n {
            line[j] = value + line[j]
            j += 1
        }
    } else if columnStride == 1 {
        while j + FloatLanes.scalarCount <= n {
            storeLanes(loadLanes(base, j) + loadLanes(line, j), line, j)
            j += FloatLanes.scalarCount
        }
        while j < n {
            line[j] = base[j] + line[j]
            j += 1
        }
    } else {
        for k in 0..<n { line[k] = base[k * columnStride] + line[k] }
    }
}
