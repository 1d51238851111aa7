#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reductions and softmax on the CPU backend.
///
/// x is viewed as [outer, length, inner]. With inner == 1 every output reduces one contiguous row
/// (RangeReduce's SIMD primitives); a single long row (outer < threads) is split across threads and
/// the per-thread partials combined in order. With inner > 1 each work unit reduces a block of up to
/// `columnBlock` adjacent columns of one outer slice, walking the length rows and accumulating
/// across the columns (Double for sums, so long reductions stay accurate).
extension CPUDevice {
    static let columnBlock = 256

    public func reduce(
        _ op: ReduceOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer,
        outer: Int, length: Int, inner: Int
    ) throws {
        let s = try cpu(x).floats
        let target = try cpu(out)
        let outputs = outer * inner
        guard outputs > 0 else { return }
        if length == 0 {
            emptyReduce(op, target, outputs)
        } else if inner == 1 {
            if outer < threads && length >= 65_536 {
                for o in 0..<outer { reduceLongRow(op, s + o * length, length, target, o) }
            } else {
                parallelFor(outer, grain: max(1, 16_384 / length)) { start, end in
                    for o in start..<end { reduceRow(op, s + o * length, length, target, o) }
                }
            }
        } else {
            let blocks = (inner + Self.columnBlock - 1) / Self.columnBlock
            let unitWork = length * min(inner, Self.columnBlock)
            parallelFor(outer * blocks, grain: max(1, 16_384 / unitWork)) { start, end in
                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * Self.columnBlock)
                defer { scratch.deallocate() }
                for unit in start..<end {
                    let o = unit / blocks, c0 = (unit % blocks) * Self.columnBlock
                    let width = min(Self.columnBlock, inner - c0)
                    reduceColumns(
                        op, s + o * length * inner + c0, length: length, inner: inner, width: width,
                        target: target, outIndex: o * inner + c0, scratch: scratch)
                }
            }
        }
    }

    public func softmax(_ x: any DeviceBuffer, _ out: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws {
        let s = try cpu(x).floats, o = try cpu(out).floats
        guard rows > 0, columns > 0 else { return }
        parallelFor(rows, grain: max(1, 8192 / columns)) { start, end in
            for r in start..<end {
                let src = s + r * columns, dst = o + r * columns
                let m = RangeReduce.extreme(src, columns, largest: true)
                let total = RangeReduce.storeExp(src, dst, columns, shift: m)
                var j = 0
                let w = FloatVector.scalarCount
                if log {
                    let shift = m + Float(naturalLog(total))
                    while j + w <= columns {
                        store(load(src, j) - shift, dst, j)
                        j += w
                    }
                    while j < columns {
                        dst[j] = src[j] - shift
                        j += 1
                    }
                } else {
                    let scale = Float(1 / total)
                    while j + w <= columns {
                        store(load(dst, j) * scale, dst, j)
                        j += w
                    }
                    while j < columns {
                        dst[j] *= scale
                        j += 1
                    }
                }
            }
        }
    }

    /// Outputs of a reduction over zero elements: the op's identity (NaN for mean and variance).
    private func emptyReduce(_ op: ReduceOp, _ target: CPUBuffer, _ outputs: Int) {
        let value: Float
        switch op {
        case .sum: value = 0
        case .mean, .variance: value = .nan
        case .max, .logsumexp: value = -.infinity
        case .min: value = .infinity
        case .argmax, .argmin:
            target.int32s.update(repeating: 0, count: outputs)
            return
        }
        target.floats.update(repeating: value, count: outputs)
    }

    /// One contiguous row p[0..<n] into output `index`.
    private func reduceRow(_ op: ReduceOp, _ p: UnsafePointer<Float>, _ n: Int, _ target: CPUBuffer, _ index: Int) {
        switch op {
        case .sum: target.floats[index] = Float(RangeReduce.sum(p, n))
        case .mean: target.floats[index] = Float(RangeReduce.sum(p, n) / Double(n))
        case .max: target.floats[index] = RangeReduce.extreme(p, n, largest: true)
        case .min: target.floats[index] = RangeReduce.extreme(p, n, largest: false)
        case .argmax, .argmin:
            let best = RangeReduce.extreme(p, n, largest: op == .argmax)
            target.int32s[index] = Int32(RangeReduce.firstIndex(p, n, of: best))
        case .logsumexp:
            let m = RangeReduce.extreme(p, n, largest: true)
            target.floats[index] = logSumExp(max: m, sumExp: m.isFinite ? RangeReduce.sumExp(p, n, shift: m) : 1)
        case .variance:
            let mean = Float(RangeReduce.sum(p, n) / Double(n))
            let d = RangeReduce.deviations(p, n, center: mean)
            target.floats[index] = Float(variance(squares: d.squares, sum: d.sum, n: n))
        }
    }

    /// One long contiguous row split into per-thread chunks whose partials combine in order.
    private func reduceLongRow(_ op: ReduceOp, _ p: UnsafePointer<Float>, _ n: Int, _ target: CPUBuffer, _ index: Int) {
        let chunks = threads
        func partials<T>(_ initial: T, _ body: (UnsafePointer<Float>, Int, Int) -> T) -> [T] {
            var results = [T](repeating: initial, count: chunks)
            results.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let out = buffer
                parallelFor(chunks, grain: 1) { c0, c1 in
                    for c in c0..<c1 {
                        let start = n * c / chunks, end = n * (c + 1) / chunks
                        out[c] = body(p + start, end - start, start)
                    }
                }
            }
            return results
        }
        switch op {
        case .sum, .mean:
            let total = partials(0.0) { q, m, _ in RangeReduce.sum(q, m) }.reduce(0, +)
            target.floats[index] = Float(op == .mean ? total / Double(n) : total)
        case .max, .min, .argmax, .argmin:
            let largest = op == .max || op == .argmax
            let extremes = partials(Float.nan) { q, m, _ in RangeReduce.extreme(q, m, largest: largest) }
            let best = extremes.reduce(largest ? -Float.infinity : .infinity) { largest ? ($1 > $0 ? $1 : $0) : ($1 < $0 ? $1 : $0) }
            if op == .max || op == .min {
                target.floats[index] = best
            } else {
                let c = extremes.firstIndex(of: best) ?? 0
                let start = n * c / chunks
                target.int32s[index] = Int32(start + RangeReduce.firstIndex(p + start, n * (c + 1) / chunks - start, of: best))
            }
        case .logsumexp:
            let m = partials(Float.nan) { q, k, _ in RangeReduce.extreme(q, k, largest: true) }.reduce(-Float.infinity) { $1 > $0 ? $1 : $0 }
            let sum = m.isFinite ? partials(0.0) { q, k, _ in RangeReduce.sumExp(q, k, shift: m) }.reduce(0, +) : 1
            target.floats[index] = logSumExp(max: m, sumExp: sum)
        case .variance:
            let mean = Float(partials(0.0) { q, k, _ in RangeReduce.sum(q, k) }.reduce(0, +) / Double(n))
            let parts = partials((squares: 0.0, sum: 0.0)) { q, k, _ in RangeReduce.deviations(q, k, center: mean) }
            target.floats[index] = Float(
                variance(
                    squares: parts.reduce(0) { $0 + $1.squares },
                    sum: parts.reduce(0) { $0 + $1.sum }, n: n))
        }
    }

    /// Columns c0..<c0+width of one outer slice: out[outIndex + c] = op over j of p[j·inner + c].
    private func reduceColumns(
        _ op: ReduceOp, _ p: UnsafePointer<Float>, length: Int, inner: Int, width: Int,
        target: CPUBuffer, outIndex: Int, scratch: UnsafeMutablePointer<Double>
    ) {
        let acc = scratch, second = scratch + Self.columnBlock
        func columnSums(center: UnsafePointer<Double>?, squares: Bool) {
            acc.update(repeating: 0, count: width)
            for j in 0..<length {
                let row = p + j * inner
                if let center {
                    if squares {
                        for c in 0..<width {
                            let d = Double(row[c]) - center[c]
                            acc[c] += d * d
                        }
                    } else {
                        for c in 0..<width { acc[c] += Double(row[c]) - center[c] }
                    }
                } else {
                    for c in 0..<width { acc[c] += Double(row[c]) }
                }
            }
        }
        func columnExtremes(largest: Bool, into best: UnsafeMutablePointer<Float>) {
            best.update(from: p, count: width)
            for j in 1..<max(length, 1) {
                let row = p + j * inner
                if largest {
                    for c in 0..<width where row[c] > best[c] { best[c] = row[c] }
                } else {
                    for c in 0..<width where row[c] < best[c] { best[c] = row[c] }
                }
            }
        }
        let o = target.floats + outIndex
        switch op {
        case .sum, .mean:
            columnSums(center: nil, squares: false)
            let scale = op == .mean ? 1 / Double(length) : 1
            for c in 0..<width { o[c] = Float(acc[c] * scale) }
        case .max, .min:
            columnExtremes(largest: op == .max, into: o)
        case .argmax, .argmin:
            let best = UnsafeMutableRawPointer(second).bindMemory(to: Float.self, capacity: width)
            let idx = target.int32s + outIndex
            best.update(from: p, count: width)
            idx.update(repeating: 0, count: width)
            for j in 1..<length {
                let row = p + j * inner
                if op == .argmax {
                    for c in 0..<width where row[c] > best[c] {
                        best[c] = row[c]
                        idx[c] = Int32(j)
                    }
                } else {
                    for c in 0..<width where row[c] < best[c] {
                        best[c] = row[c]
                        idx[c] = Int32(j)
                    }
                }
            }
        case .logsumexp:
            let m = UnsafeMutableRawPointer(second).bindMemory(to: Float.self, capacity: width)
            columnExtremes(largest: true, into: m)
            acc.update(repeating: 0, count: width)
            for j in 0..<length {
                let row = p + j * inner
                for c in 0..<width where m[c].isFinite { acc[c] += Double(expf(row[c] - m[c])) }
            }
            for c in 0..<width { o[c] = logSumExp(max: m[c], sumExp: m[c].isFinite ? acc[c] : 1) }
        case .variance:
            columnSums(center: nil, squares: false)
            for c in 0..<width { second[c] = acc[c] / Double(length) }
            columnSums(center: second, squares: true)
            for c in 0..<width { o[c] = Float(acc[c] / Double(length)) }
        }
    }
}

/// m + ln(Σ exp(x − m)); an infinite max (all −∞, or some +∞) is the answer itself.
@inline(__always)
private func logSumExp(max m: Float, sumExp: Double) -> Float {
    m.isFinite ? m + Float(naturalLog(sumExp)) : m
}

/// Population variance from deviations about an approximate mean: (Σd² − (Σd)²/n) / n.
@inline(__always)
private func variance(squares: Double, sum: Double, n: Int) -> Double {
    max(0, (squares - sum * sum / Double(n)) / Double(n))
}

/// libm's double-precision log, named apart from the `log:` parameter of softmax.
@inline(__always)
private func naturalLog(_ x: Double) -> Double { log(x) }
