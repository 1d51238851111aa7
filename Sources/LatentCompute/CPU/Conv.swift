/// im2col and col2im on the CPU backend. Both walk one column-matrix row (one (n, c, i, j)) at a
/// time: for a fixed kernel tap and output row `oy`, the input pixels read form one input row,
/// contiguous when strideX is 1 (a memcpy with zero borders), strided otherwise.
extension CPUDevice {
    public func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry g: ConvGeometry) throws {
        let src = try cpu(input).floats, dst = try cpu(cols).floats
        let outH = g.outHeight, outW = g.outWidth, rowLength = outH * outW
        let rows = g.batch * g.columnRows
        guard rows > 0, rowLength > 0 else { return }
        let plane = g.height * g.width
        parallelFor(rows, grain: max(1, 32_768 / rowLength)) { start, end in
            for r in start..<end {
                let j = r % g.kernelWidth, i = (r / g.kernelWidth) % g.kernelHeight
                let image = r / (g.kernelWidth * g.kernelHeight)  // n·channels + c
                let source = src + image * plane
                let row = dst + r * rowLength
                let xOffset = j * g.dilationX - g.padX
                let (xLow, xHigh) = convValidRange(outputs: outW, stride: g.strideX, offset: xOffset, size: g.width)
                for oy in 0..<outH {
                    let out = row + oy * outW
                    let y = oy * g.strideY - g.padY + i * g.dilationY
                    guard y >= 0, y < g.height, xLow < xHigh else {
                        out.initialize(repeating: 0, count: outW)
                        continue
                    }
                    out.initialize(repeating: 0, count: xLow)
                    let line = source + y * g.width + xOffset
                    if g.strideX == 1 {
                        (out + xLow).update(from: line + xLow, count: xHigh - xLow)
                    } else {
                        for ox in xLow..<xHigh { out[ox] = line[ox * g.strideX] }
                    }
                    (out + xHigh).initialize(repeating: 0, count: outW - xHigh)
                }
            }
        }
    }

    /// Each (n, c) plane is owned by one thread, zeroed, then accumulated tap by tap in (i, j) order,
    /// so every pixel sums its column entries in the same order as the OpenCL gather kernel.
    public func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry g: ConvGeometry) throws {
        let src = try cpu(cols).floats, dst = try cpu(input).floats
        let outH = g.outHeight, outW = g.outWidth, rowLength = outH * outW
        let planes = g.batch * g.channels, plane = g.height * g.width
        guard planes > 0, plane > 0 else { return }
        let taps = g.kernelHeight * g.kernelWidth
        parallelFor(planes, grain: max(1, 32_768 / max(1, taps * rowLength))) { start, end in
            for p in start..<end {
                let image = dst + p * plane
                image.initialize(repeating: 0, count: plane)
                guard rowLength > 0 else { continue }
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let row = src + ((p * g.kernelHeight + i) * g.kernelWidth + j) * rowLength
                        let xOffset = j * g.dilationX - g.padX
                        let (xLow, xHigh) = convValidRange(outputs: outW, stride: g.strideX, offset: xOffset, size: g.width)
                        guard xLow < xHigh else { continue }
                        for oy in 0..<outH {
                            let y = oy * g.strideY - g.padY + i * g.dilationY
                            guard y >= 0, y < g.height else { continue }
                            let line = image + y * g.width + xOffset, values = row + oy * outW
                            if g.strideX == 1 {
                                var ox = xLow
                                while ox + TrainVector.scalarCount <= xHigh {
                                    trainStore(trainLoad(line, ox) + trainLoad(values, ox), line, ox)
                                    ox += TrainVector.scalarCount
                                }
                                while ox < xHigh {
                                    line[ox] += values[ox]
                                    ox += 1
                                }
                            } else {
                                for ox in xLow..<xHigh { line[ox * g.strideX] += values[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The outputs o in lo..<hi whose input position o·stride + offset lies in 0..<size.
@inline(__always)
func convValidRange(outputs: Int, stride: Int, offset: Int, size: Int) -> (Int, Int) {
    let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let last = size - 1 - offset
    guard last >= 0 else { return (0, 0) }
    let high = min(outputs, last / stride + 1)
    return (min(low, high), high)
}
