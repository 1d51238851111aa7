/// Fill, copy, strided copy, gather and scatter-add on the CPU backend. Copies move 4-byte words as
/// UInt32 so that Int32 data and every Float bit pattern (NaN payloads included) pass unchanged.
extension CPUDevice {
    public func fill(_ out: any DeviceBuffer, count: Int, value: Float) throws {
        let o = try cpu(out).floats
        parallelFor(count, grain: 65_536) { start, end in
            (o + start).update(repeating: value, count: end - start)
        }
    }

    public func copy(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        let s = try cpu(x).words, o = try cpu(out).words
        if s == o { return }
        parallelFor(count, grain: 65_536) { start, end in
            (o + start).update(from: s + start, count: end - start)
        }
    }

    public func copyStrided(_ x: any DeviceBuffer, _ out: any DeviceBuffer, layout: StridedCopyLayout) throws {
        let s = try cpu(x).words + layout.xOffset, o = try cpu(out).words + layout.outOffset
        let rows = StridedRows(shape: layout.shape, strides: [layout.xStrides, layout.outStrides])
        guard rows.count > 0 else { return }
        let n = rows.rowLength, sx = rows.lastStride(0), so = rows.lastStride(1)
        parallelFor(rows.rowCount, grain: rows.rowGrain()) { start, end in
            rows.forEachRow(start..<end) { _, xo, oo, _ in
                let src = s + xo, dst = o + oo
                if sx == 1 && so == 1 {
                    dst.update(from: src, count: n)
                } else if sx == 0 && so == 1 {
                    dst.update(repeating: src.pointee, count: n)
                } else {
                    for j in 0..<n { dst[j * so] = src[j * sx] }
                }
            }
        }
    }

    public func gather(
        _ table: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, tableRows: Int
    ) throws {
        let t = try cpu(table).words, idx = try cpu(indices).int32s, o = try cpu(out).words
        parallelFor(indexCount, grain: max(1, 16_384 / max(rowLength, 1))) { start, end in
            for i in start..<end {
                let row = Int(idx[i])
                let dst = o + i * rowLength
                if row >= 0 && row < tableRows {
                    dst.update(from: t + row * rowLength, count: rowLength)
                } else {
                    dst.update(repeating: 0, count: rowLength)
                }
            }
        }
    }

    /// Deterministic: every output element receives its contributions in increasing i. Threads split
    /// the columns when rows are long, else the output rows (each thread scans all indices).
    public func scatterAdd(
        _ source: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, outRows: Int
    ) throws {
        let s = try cpu(source).floats, idx = try cpu(indices).int32s, o = try cpu(out).floats
        let work = indexCount * rowLength
        if rowLength >= 256 || work < 65_536 {
            parallelFor(rowLength, grain: work < 65_536 ? rowLength : 64) { c0, c1 in
                for i in 0..<indexCount {
                    let row = Int(idx[i])
                    guard row >= 0 && row < outRows else { continue }
                    let src = s + i * rowLength, dst = o + row * rowLength
                    addRow(dst, src, c0, c1)
                }
            }
        } else {
            parallelFor(outRows, grain: max(1, outRows / threads)) { r0, r1 in
                for i in 0..<indexCount {
                    let row = Int(idx[i])
                    guard row >= r0 && row < r1 else { continue }
                    addRow(o + row * rowLength, s + i * rowLength, 0, rowLength)
                }
            }
        }
    }
}

/// dst[c] += src[c] for c in c0..<c1, eight lanes at a time.
@inline(__always)
private func addRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ c0: Int, _ c1: Int) {
    var c = c0
    let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
    while c + 8 <= c1 {
        let v =
            d.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            + s.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
        d.storeBytes(of: v, toByteOffset: 4 * c, as: SIMD8<Float>.self)
        c += 8
    }
    while c < c1 {
        dst[c] += src[c]
        c += 1
    }
}

extension CPUBuffer {
    /// The buffer as 4-byte words of unspecified type.
    var words: UnsafeMutablePointer<UInt32> { pointer.assumingMemoryBound(to: UInt32.self) }
}
