/// im2col and col2im on the CPU backend. Both walk one column-matrix row (one (n, c, i, j)) at a
/// time: for a fixed kernel tap and output row `oy`, the input pixels read form one input row,
/// contiguous when strideX is 1 (a memcpy with zero borders), strided otherwise.
extension CPUDevice {
    public func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry g: ConvGeometry) throws {
        let src = try cpu(input).floats, dst = try cpu(cols).floats
        let rowLength = g.outHeight * g.outWidth
        let rows = g.batch * g.columnRows
        guard rows > 0, rowLength > 0 else { return }
        let plane = g.height * g.width, taps = g.kernelHeight * g.kernelWidth
        parallelFor(rows, grain: max(1, 32_768 / rowLength)) { start, end in
            for r in start..<end {
                let tap = r % taps
                g.fillColumnRow(
                    plane: src + (r / taps) * plane, tapY: tap / g.kernelWidth, tapX: tap % g.kernelWidth,
                    into: dst + r * rowLength)
            }
        }
    }

    /// Each (n, c) plane is owned by one thread, zeroed, then accumulated tap by tap in (i, j) order,
    /// so every pixel sums its column entries in the same order as the OpenCL gather kernel.
    public func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry g: ConvGeometry) throws {
        let src = try cpu(cols).floats, dst = try cpu(input).floats
        let rowLength = g.outHeight * g.outWidth
        let planes = g.batch * g.channels, plane = g.height * g.width
        guard planes > 0, plane > 0 else { return }
        let taps = g.kernelHeight * g.kernelWidth
        parallelFor(planes, grain: max(1, 32_768 / max(1, taps * rowLength))) { start, end in
            for p in start..<end {
                g.gatherColumnRows(src + p * taps * rowLength, rowStride: rowLength, into: dst + p * plane)
            }
        }
    }
}

extension ConvGeometry {
    /// Writes one column-matrix row: kernel tap (i, j) over one input plane, outH·outW values
    /// (0 where the tap reads padding).
    @inline(__always)
    func fillColumnRow(
        plane source: UnsafePointer<Float>, tapY i: Int, tapX j: Int,
        into row: UnsafeMutablePointer<Float>
    ) {
        let outH = outHeight, outW = outWidth
        let xOffset = j * dilationX - padX
        let (xLow, xHigh) = convValidRange(outputs: outW, stride: strideX, offset: xOffset, size: width)
        for oy in 0..<outH {
            let out = row + oy * outW
            let y = oy * strideY - padY + i * dilationY
            guard y >= 0, y < height, xLow < xHigh else {
                out.initialize(repeating: 0, count: outW)
                continue
            }
            out.initialize(repeating: 0, count: xLow)
            let line = source + y * width + xOffset
            if strideX == 1 {
                convCopyShortRow(from: line + xLow, to: out + xLow, count: xHigh - xLow)
            } else {
                for ox in xLow..<xHigh { out[ox] = line[ox * strideX] }
            }
            (out + xHigh).initialize(repeating: 0, count: outW - xHigh)
        }
    }

    /// The adjoint of `fillColumnRow` for a whole plane: overwrites `plane` with the sum of its
    /// kh·kw column rows (row (i, j) at `rows + (i·kw + j)·rowStride`), taps added in (i, j) order.
    @inline(__always)
    func gatherColumnRows(_ rows: UnsafePointer<Float>, rowStride: Int, into plane: UnsafeMutablePointer<Float>) {
        let outH = outHeight, outW = outWidth
        plane.initialize(repeating: 0, count: height * width)
        guard outH * outW > 0 else { return }
        for i in 0..<kernelHeight {
            for j in 0..<kernelWidth {
                let row = rows + (i * kernelWidth + j) * rowStride
                let xOffset = j * dilationX - padX
                let (xLow, xHigh) = convValidRange(outputs: outW, stride: strideX, offset: xOffset, size: width)
                guard xLow < xHigh else { continue }
                for oy in 0..<outH {
                    let y = oy * strideY - padY + i * dilationY
                    guard y >= 0, y < height else { continue }
                    let line = plane + y * width + xOffset, values = row + oy * outW
                    if strideX == 1 {
                        var ox = xLow
                        while ox + FloatLanes.scalarCount <= xHigh {
                            storeLanes(loadLanes(line, ox) + loadLanes(values, ox), line, ox)
                            ox += FloatLanes.scalarCount
                        }
                        while ox < xHigh {
                            line[ox] += values[ox]
                            ox += 1
                        }
                    } else {
                        for ox in xLow..<xHigh { line[ox * strideX] += values[ox] }
                    }
                }
            }
        }
    }
}

/// Copies a short image row (7 to a few dozen floats) with vector moves: a memmove call per
/// row costs more than the copy at these lengths.
@inline(__always)
func convCopyShortRow(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        UnsafeMutableRawPointer(target + i).storeBytes(
            of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self),
            as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        target[i] = source[i]
        i += 1
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
