#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fused scaled dot-product attention on the CPU backend (forward pass; the backward pass is in
/// AttentionBackward.swift).
///
/// Work items are (problem b, block of up to 64 query rows), split across threads. Per problem a
/// thread packs Kᵀ once ([D × Lk] padded to 16 keys) and V padded to 16 columns when D is not a
/// multiple of 16. Per query block it streams key blocks of up to 128 keys:
/// S = Q_blk·K_blkᵀ (AttentionTile.product), an online-softmax update of the running row max m and
/// sum l (rescaling the O accumulator), then O += P·V_blk. Only a 64×128 score block exists, so
/// memory does not grow with Lq×Lk.
extension CPUDevice {
    static let attentionQueryBlock = 64
    static let attentionKeyBlock = 128

    public func attention(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        _ out: any DeviceBuffer, logsumexp: any DeviceBuffer, shape: AttentionShape
    ) throws {
        let s = shape
        guard s.batch >= 0, s.queryLength >= 0, s.keyLength >= 0, s.headDimension >= 0 else {
            throw ComputeError.invalidArgument("attention: negative size in \(s)")
        }
        let pq = try cpu(q).floats, pk = try cpu(k).floats, pv = try cpu(v).floats
        let po = try cpu(out).floats, pl = try cpu(logsumexp).floats
        let pm = try mask.map { try cpu($0).floats }
        let inputs = AttentionPointers(q: pq, k: pk, v: pv, mask: pm.map { UnsafePointer($0) })
        let qBlocks = (s.queryLength + Self.attentionQueryBlock - 1) / Self.attentionQueryBlock
        let items = s.batch * qBlocks
        if items == 0 { return }
        parallelFor(items, grain: 1) { start, end in
            AttentionForward(shape: s, inputs: inputs, out: po, logsumexp: pl).run(items: start..<end, qBlocks: qBlocks)
        }
    }
}

/// The read-only operands of one attention call.
struct AttentionPointers {
    var q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
    var mask: UnsafePointer<Float>?

    init(
        q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
        mask: UnsafePointer<Float>?
    ) {
        self.q = UnsafePointer(q)
        self.k = UnsafePointer(k)
        self.v = UnsafePointer(v)
        self.mask = mask
    }
}

/// Packs row-major x [rows × D] (at `x`) as xᵀ [D × padded] with padded = rows rounded up to 16,
/// zero beyond `rows`: the B operand of a product against the rows of x.
func attentionPackTransposed(_ x: UnsafePointer<Float>, rows: Int, dimension: Int, into out: UnsafeMutablePointer<Float>) {
    let padded = AttentionTile.roundUp16(rows)
    // Blocks of 16 keys × 16 dimensions: the 16 source rows are read as vectors once and written
    // out as 16 destination vectors, instead of one strided scalar read per element.
    var j0 = 0
    while j0 < rows {
        let keys = min(16, rows - j0)
        var p0 = 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { tile in
            let block = tile.baseAddress!
            while p0 + 16 <= dimension {
                for j in 0..<16 {
                    let v = j < keys ? AttentionTile.load(x + (j0 + j) * dimension + p0) : AttentionTile.V()
                    AttentionTile.store(v, block + 16 * j)
                }
                for p in 0..<16 {
                    var column = AttentionTile.V()
                    for j in 0..<16 { column[j] = block[16 * j + p] }
                    AttentionTile.store(column, out + (p0 + p) * padded + j0)
                }
                p0 += 16
            }
        }
        for p in p0..<dimension {
            let dst = out + p * padded + j0
            for j in 0..<16 { dst[j] = j < keys ? x[(j0 + j) * dimension + p] : 0 }
        }
        j0 += 16
    }
}

/// x [rows × D] as a B operand with 16-column panels: x itself when D is a multiple of 16
/// (ld = D), else a zero-padded copy with ld = D rounded up to 16.
func attentionPaddedRows(
    _ x: UnsafePointer<Float>, rows: Int, dimension: Int,
    scratch: UnsafeMutablePointer<Float>
) -> (UnsafePointer<Float>, Int) {
    if dimension % 16 == 0 { return (x, dimension) }
    let ld = AttentionTile.roundUp16(dimension)
    for j in 0..<rows {
        let dst = scratch + j * ld
        for p in 0..<dimension { dst[p] = x[j * dimension + p] }
        for p in dimension..<ld { dst[p] = 0 }
    }
    return (UnsafePointer(scratch), ld)
}

/// One thread's share of the forward pass, with its scratch.
struct AttentionForward {
    typealias V = AttentionTile.V
    let shape: AttentionShape
    let inputs: AttentionPointers
    let out: UnsafeMutablePointer<Float>
    let logsumexp: UnsafeMutablePointer<Float>

    func run(items: Range<Int>, qBlocks: Int) {
        let s = shape, d = s.headDimension
        let dPad = AttentionTile.roundUp16(d), lkPad = AttentionTile.roundUp16(s.keyLength)
        let qb = CPUDevice.attentionQueryBlock
        // One key block when the keys fit in 1.5 blocks, else blocks of 128.
        let kb = lkPad <= CPUDevice.attentionKeyBlock * 3 / 2 ? max(lkPad, 16) : CPUDevice.attentionKeyBlock
        let kt = AttentionTile.Scratch(d * lkPad)
        let vPad = AttentionTile.Scratch(d % 16 == 0 ? 0 : s.keyLength * dPad)
        let scores = AttentionTile.Scratch(qb * kb)
        let acc = AttentionTile.Scratch(qb * dPad)
        let rowMax = AttentionTile.Scratch(qb), rowSum = AttentionTile.Scratch(qb)
        var packed = -1
        var vOperand: (UnsafePointer<Float>, Int) = (inputs.v, d)
        for item in items {
            let b = item / qBlocks, q0 = (item % qBlocks) * qb
            let m = min(qb, s.queryLength - q0)
            if b != packed {
                attentionPackTransposed(inputs.k + b * s.keyLength * d, rows: s.keyLength, dimension: d, into: kt.base)
                vOperand = attentionPaddedRows(
                    inputs.v + b * s.keyLength * d, rows: s.keyLength, dimension: d,
                    scratch: vPad.base)
                packed = b
            }
            acc.base.update(repeating: 0, count: m * dPad)
            rowMax.base.update(repeating: -.infinity, count: m)
            rowSum.base.update(repeating: 0, count: m)
            let qRows = inputs.q + (b * s.queryLength + q0) * d
            var k0 = 0
            while k0 < s.keyLength {
                let nk = min(kb, s.keyLength - k0)
                let panels = (nk + 15) / 16
                AttentionTile.product(
                    m: m, panels: panels, k: d, a: qRows, aRow: d, aColumn: 1,
                    b: kt.base + k0, ldb: lkPad, c: scores.base, ldc: kb, accumulate: false)
                for i in 0..<m {
                    let maskRow = inputs.mask.map { $0 + (q0 + i) * s.keyLength + k0 }
                    onlineSoftmax(
                        row: scores.base + i * kb, count: nk, mask: maskRow,
                        max: rowMax.base + i, sum: rowSum.base + i, acc: acc.base + i * dPad, dPad: dPad)
                }
                AttentionTile.product(
                    m: m, panels: dPad / 16, k: nk, a: scores.base, aRow: kb, aColumn: 1,
                    b: vOperand.0 + k0 * vOperand.1, ldb: vOperand.1,
                    c: acc.base, ldc: dPad, accumulate: true)
                k0 += nk
            }
            for i in 0..<m {
                let row = b * s.queryLength + q0 + i
                let l = rowSum.base[i]
                let inverse: Float = l > 0 ? 1 / l : 0
                let source = acc.base + i * dPad, target = out + row * d
                var p = 0
                while p + 16 <= d {
                    AttentionTile.store(AttentionTile.load(source + p) * inverse, target + p)
                    p += 16
                }
                while p < d {
                    target[p] = source[p] * inverse
                    p += 1
                }
                logsumexp[row] = l > 0 ? rowMax.base[i] + logf(l) : -.infinity
            }
        }
    }

    /// Turns one row of raw scores into unnormalised probabilities p = e^(scale·s + mask − m′) in place
    /// (lanes ≥ count become 0), updating the running max m and sum l and rescaling the accumulator row.
    @inline(__always)
    func onlineSoftmax(
        row: UnsafeMutablePointer<Float>, count: Int, mask: UnsafePointer<Float>?,
        max runningMax: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>,
        acc: UnsafeMutablePointer<Float>, dPad: Int
    ) {
        let scale = V(repeating: shape.scale)
        var best = V(repeating: -.infinity)
        var j = 0
        while j < count {
            let n = count - j
            var x = AttentionTile.load(row + j) * scale
            if let mask { x += AttentionTile.loadPartial(mask + j, n, fill: 0) }
            if n < 16 { x = x.replacing(with: -.infinity, where: AttentionTile.laneIndex .>= Int32(n)) }
            AttentionTile.store(x, row + j)
            best = best.replacing(with: x, where: x .> best)
            j += 16
        }
        let old = runningMax.pointee
        let newMax = Swift.max(old, best.max())
        if newMax == -.infinity {
            // Everything so far is masked: no probability mass yet.
            j = 0
            while j < count {
                AttentionTile.store(V(), row + j)
                j += 16
            }
            return
        }
        let shift = V(repeating: newMax)
        var total = V()
        j = 0
        while j < count {
            let p = AttentionTile.exp(AttentionTile.load(row + j) - shift)
            AttentionTile.store(p, row + j)
            total += p
            j += 16
        }
        let alpha = old == -.infinity ? 0 : expf(old - newMax)
        runningMax.pointee = newMax
        sum.pointee = sum.pointee * alpha + total.sum()
        if alpha != 1 {
            let a = V(repeating: alpha)
            var p = 0
            while p < dPad {
                AttentionTile.store(AttentionTile.load(acc + p) * a, acc + p)
                p += 16
            }
        }
    }
}
