/// The attention backward pass on the CPU backend (FlashAttention-2 style, one pass).
///
/// Work items are (problem b, chunk of keys). An item owns the dK and dV rows of its keys, so those
/// need no synchronisation. For each key block (≤ 128 keys) and query block (≤ 64 rows) it recomputes
/// S = Q·Kᵀ and P = e^(scale·S + mask − lse), then dP = dO·Vᵀ, dS = scale·P∘(dP − Di) with
/// Di = rowsum(dO∘O), and accumulates dV += Pᵀ·dO, dK += dSᵀ·Q, dQ += dS·K. dQ sums over all keys:
/// with one chunk per problem (batch ≥ threads) the item writes it directly; otherwise each chunk
/// writes a partial [Lq × D] and the partials are summed in chunk order afterwards (deterministic).
/// Scratch is O((Lq + Lk)·D) per item, never Lq×Lk.
extension CPUDevice {
    public func attentionBackward(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        out: any DeviceBuffer, logsumexp: any DeviceBuffer, gradOut: any DeviceBuffer,
        gradQ: any DeviceBuffer, gradK: any DeviceBuffer, gradV: any DeviceBuffer,
        shape: AttentionShape
    ) throws {
        let s = shape
        guard s.batch >= 0, s.queryLength >= 0, s.keyLength >= 0, s.headDimension >= 0 else {
            throw ComputeError.invalidArgument("attentionBackward: negative size in \(s)")
        }
        let inputs = AttentionPointers(
            q: try cpu(q).floats, k: try cpu(k).floats, v: try cpu(v).floats,
            mask: try mask.map { UnsafePointer(try cpu($0).floats) })
        let saved = AttentionBackwardPass.Saved(
            out: UnsafePointer(try cpu(out).floats),
            logsumexp: UnsafePointer(try cpu(logsumexp).floats),
            gradOut: UnsafePointer(try cpu(gradOut).floats))
        let gq = try cpu(gradQ).floats, gk = try cpu(gradK).floats, gv = try cpu(gradV).floats
        let d = s.headDimension
        if s.batch == 0 { return }
        if s.keyLength == 0 || s.queryLength == 0 {
            gq.update(repeating: 0, count: s.batch * s.queryLength * d)
            gk.update(repeating: 0, count: s.batch * s.keyLength * d)
            gv.update(repeating: 0, count: s.batch * s.keyLength * d)
            return
        }
        let keyPanels = (s.keyLength + 15) / 16
        let chunks = s.batch >= threads ? 1 : min(keyPanels, (threads + s.batch - 1) / s.batch)
        let partials = chunks > 1 ? AttentionTile.Scratch(s.batch * chunks * s.queryLength * d) : nil
        let pass = AttentionBackwardPass(
            shape: s, inputs: inputs, saved: saved, gradQ: gq, gradK: gk, gradV: gv,
            chunks: chunks, partials: partials?.base)
        parallelFor(s.batch * chunks, grain: 1) { start, end in pass.run(items: start..<end) }
        if let partials {
            // dQ = Σ over chunks, in chunk order.
            let rows = s.queryLength * d
            parallelFor(s.batch, grain: 1) { start, end in
                for b in start..<end {
                    let dst = gq + b * rows, src = partials.base + b * chunks * rows
                    dst.update(from: src, count: rows)
                    for c in 1..<chunks {
                        let part = src + c * rows
                        for i in 0..<rows { dst[i] += part[i] }
                    }
                }
            }
        }
    }
}

/// One attention backward call: the work of one (problem, key chunk) item.
struct AttentionBackwardPass {
    typealias V = AttentionTile.V

    struct Saved {
        var out: UnsafePointer<Float>, logsumexp: UnsafePointer<Float>, gradOut: UnsafePointer<Float>
    }

    let shape: AttentionShape
    let inputs: AttentionPointers
    let saved: Saved
    let gradQ: UnsafeMutablePointer<Float>, gradK: UnsafeMutablePointer<Float>, gradV: UnsafeMutablePointer<Float>
    let chunks: Int
    /// [batch, chunks, Lq, D] partial dQ when chunks > 1.
    let partials: UnsafeMutablePointer<Float>?

    func run(items: Range<Int>) {
        let s = shape, d = s.headDimension, lq = s.queryLength, lk = s.keyLength
        let dPad = AttentionTile.roundUp16(d)
        let qb = CPUDevice.attentionQueryBlock, kb = CPUDevice.attentionKeyBlock
        let keyPanels = (lk + 15) / 16
        let maxChunkKeys = min(lk, ((keyPanels + chunks - 1) / chunks) * 16)
        let chunkPad = AttentionTile.roundUp16(maxChunkKeys)
        // Scratch: Kᵀ and Vᵀ of the chunk, padded Q / dO / K rows (D not a multiple of 16 only),
        // dQ over all queries, dK/dV of the chunk, one S and one dP block, Di.
        let kt = AttentionTile.Scratch(d * chunkPad), vt = AttentionTile.Scratch(d * chunkPad)
        let padded = d % 16 != 0
        let qPad = AttentionTile.Scratch(padded ? lq * dPad : 0), dOPad = AttentionTile.Scratch(padded ? lq * dPad : 0)
        let kPad = AttentionTile.Scratch(padded ? maxChunkKeys * dPad : 0)
        let dQ = AttentionTile.Scratch(lq * dPad)
        let dK = AttentionTile.Scratch(maxChunkKeys * dPad), dV = AttentionTile.Scratch(maxChunkKeys * dPad)
        let probabilities = AttentionTile.Scratch(qb * kb), gradScores = AttentionTile.Scratch(qb * kb)
        let di = AttentionTile.Scratch(lq)
        var prepared = -1
        var qOperand: (UnsafePointer<Float>, Int) = (inputs.q, d), dOOperand: (UnsafePointer<Float>, Int) = (inputs.q, d)
        for item in items {
            let b = item / chunks, chunk = item % chunks
            let c0 = keyPanels * chunk / chunks * 16, c1 = min(lk, keyPanels * (chunk + 1) / chunks * 16)
            let ck = c1 - c0
            let qRows = inputs.q + b * lq * d, dORows = saved.gradOut + b * lq * d
            if b != prepared {
                let oRows = saved.out + b * lq * d
                for i in 0..<lq {
                    var t: Float = 0
                    for p in 0..<d { t += dORows[i * d + p] * oRows[i * d + p] }
                    di.base[i] = t
                }
                qOperand = attentionPaddedRows(qRows, rows: lq, dimension: d, scratch: qPad.base)
                dOOperand = attentionPaddedRows(dORows, rows: lq, dimension: d, scratch: dOPad.base)
                prepared = b
            }
            if ck <= 0 { continue }
            let kRows = inputs.k + (b * lk + c0) * d, vRows = inputs.v + (b * lk + c0) * d
            let ckPad = AttentionTile.roundUp16(ck)
            attentionPackTransposed(kRows, rows: ck, dimension: d, into: kt.base)
            attentionPackTransposed(vRows, rows: ck, dimension: d, into: vt.base)
            let kOperand = attentionPaddedRows(kRows, rows: ck, dimension: d, scratch: kPad.base)
            dQ.base.update(repeating: 0, count: lq * dPad)
            dK.base.update(repeating: 0, count: ck * dPad)
            dV.base.update(repeating: 0, count: ck * dPad)
            var k0 = 0
            while k0 < ck {
                let nk = min(kb, ck - k0), panels = (nk + 15) / 16
                var q0 = 0
                while q0 < lq {
                    let m = min(qb, lq - q0)
                    let p = probabilities.base, g = gradScores.base
                    AttentionTile.product(
                        m: m, panels: panels, k: d, a: qRows + q0 * d, aRow: d, aColumn: 1,
                        b: kt.base + k0, ldb: ckPad, c: p, ldc: kb, accumulate: false)
                    AttentionTile.product(
                        m: m, panels: panels, k: d, a: dORows + q0 * d, aRow: d, aColumn: 1,
                        b: vt.base + k0, ldb: ckPad, c: g, ldc: kb, accumulate: false)
                    for i in 0..<m {
                        let row = q0 + i
                        let maskRow = inputs.mask.map { $0 + row * lk + c0 + k0 }
                        gradientRow(
                            p: p + i * kb, dp: g + i * kb, count: nk, mask: maskRow,
                            lse: saved.logsumexp[b * lq + row], di: di.base[row])
                    }
                    let dPanels = dPad / 16
                    // dV += Pᵀ·dO, dK += dSᵀ·Q (A read transposed), dQ += dS·K.
                    AttentionTile.product(
                        m: nk, panels: dPanels, k: m, a: p, aRow: 1, aColumn: kb,
                        b: dOOperand.0 + q0 * dOOperand.1, ldb: dOOperand.1,
                        c: dV.base + k0 * dPad, ldc: dPad, accumulate: true)
                    AttentionTile.product(
                        m: nk, panels: dPanels, k: m, a: g, aRow: 1, aColumn: kb,
                        b: qOperand.0 + q0 * qOperand.1, ldb: qOperand.1,
                        c: dK.base + k0 * dPad, ldc: dPad, accumulate: true)
                    AttentionTile.product(
                        m: m, panels: dPanels, k: nk, a: g, aRow: kb, aColumn: 1,
                        b: kOperand.0 + k0 * kOperand.1, ldb: kOperand.1,
                        c: dQ.base + q0 * dPad, ldc: dPad, accumulate: true)
                    q0 += m
                }
                k0 += nk
            }
            copyRows(dK.base, dPad, to: gradK + (b * lk + c0) * d, rows: ck)
            copyRows(dV.base, dPad, to: gradV + (b * lk + c0) * d, rows: ck)
            if let partials {
                copyRows(dQ.base, dPad, to: partials + (b * chunks + chunk) * lq * d, rows: lq)
            } else {
                copyRows(dQ.base, dPad, to: gradQ + b * lq * d, rows: lq)
            }
        }
    }

    /// rows × D from a padded block (row stride ld) into a contiguous destination.
    func copyRows(_ src: UnsafeMutablePointer<Float>, _ ld: Int, to dst: UnsafeMutablePointer<Float>, rows: Int) {
        let d = shape.headDimension
        for i in 0..<rows { (dst + i * d).update(from: src + i * ld, count: d) }
    }

    /// For one query row: p ← e^(scale·s + mask − lse) (raw scores in, lanes ≥ count → 0) and
    /// dp ← scale·p·(dp − Di) in place.
    @inline(__always)
    func gradientRow(
        p: UnsafeMutablePointer<Float>, dp: UnsafeMutablePointer<Float>, count: Int,
        mask: UnsafePointer<Float>?, lse: Float, di: Float
    ) {
        let scale = V(repeating: shape.scale), shift = V(repeating: lse), dv = V(repeating: di)
        // A fully masked row (lse = −∞) has no probability mass and no gradient.
        let dead = lse == -.infinity
        var j = 0
        while j < count {
            let n = count - j
            var x = AttentionTile.load(p + j) * scale
            if let mask { x += AttentionTile.loadPartial(mask + j, n, fill: 0) }
            var prob = dead ? V() : AttentionTile.exp(x - shift)
            if n < 16 { prob = prob.replacing(with: 0, where: AttentionTile.laneIndex .>= Int32(n)) }
            AttentionTile.store(prob, p + j)
            AttentionTile.store(prob * (AttentionTile.load(dp + j) - dv) * scale, dp + j)
            j += 16
        }
    }
}
