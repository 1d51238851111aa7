/// Nearest-codebook search on the CPU backend (vector quantisation).
///
/// ‖x − e‖² = ‖x‖² − 2·x·e + ‖e‖²; ‖x‖² does not change the argmin, so each row minimises
/// ‖e‖² − 2·x·e. The codebook is packed once per call as Eᵀ [D × K padded to 16] (padding codes get
/// ‖e‖² = +∞) with its norms. Threads take blocks of 48 rows; for each block of 256 codes the dot
/// products come from AttentionTile.product (a 48×256 tile, never N×K), then a SIMD argmin keeps the
/// lowest index among equal values. The returned distance is recomputed exactly as Σ(x − e)² for the
/// winner, so it is never negative.
extension CPUDevice {
    static let codebookRowBlock = 48
    static let codebookCodeBlock = 256

    public func nearestCode(
        _ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
        distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int
    ) throws {
        guard count >= 0, codes >= 0, dimension >= 0 else {
            throw ComputeError.invalidArgument("nearestCode: negative size (\(count), \(codes), \(dimension))")
        }
        let px = UnsafePointer(try cpu(x).floats), pe = UnsafePointer(try cpu(codebook).floats)
        let pi = try cpu(indices).int32s, pd = try cpu(distances).floats
        if count == 0 { return }
        if codes == 0 {
            pi.update(repeating: -1, count: count)
            pd.update(repeating: .infinity, count: count)
            return
        }
        let kPad = AttentionTile.roundUp16(codes)
        let et = AttentionTile.Scratch(dimension * kPad), norms = AttentionTile.Scratch(kPad)
        attentionPackTransposed(pe, rows: codes, dimension: dimension, into: et.base)
        for c in 0..<kPad {
            var t: Float = 0
            if c < codes { for p in 0..<dimension { t += pe[c * dimension + p] * pe[c * dimension + p] } }
            norms.base[c] = c < codes ? t : .infinity
        }
        let search = CodebookSearch(
            x: px, codebook: pe, packed: UnsafePointer(et.base), norms: UnsafePointer(norms.base),
            codes: codes, dimension: dimension)
        let blocks = (count + Self.codebookRowBlock - 1) / Self.codebookRowBlock
        parallelFor(blocks, grain: 1) { start, end in
            search.run(blocks: start..<end, count: count, indices: pi, distances: pd)
        }
    }
}

/// The read-only state of one nearestCode call; `run` handles a range of row blocks.
struct CodebookSearch {
    typealias V = AttentionTile.V
    let x: UnsafePointer<Float>, codebook: UnsafePointer<Float>
    /// Eᵀ [D × kPad] and ‖e‖² [kPad] (+∞ for padding codes).
    let packed: UnsafePointer<Float>, norms: UnsafePointer<Float>
    let codes: Int, dimension: Int

    func run(blocks: Range<Int>, count: Int, indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>) {
        let rb = CPUDevice.codebookRowBlock, cb = CPUDevice.codebookCodeBlock
        let kPad = AttentionTile.roundUp16(codes)
        let dots = AttentionTile.Scratch(rb * cb)
        var best = [Float](repeating: 0, count: rb), bestIndex = [Int32](repeating: 0, count: rb)
        for block in blocks {
            let r0 = block * rb, m = min(rb, count - r0)
            for i in 0..<m {
                best[i] = .infinity
                bestIndex[i] = -1
            }
            var c0 = 0
            while c0 < kPad {
                let width = min(cb, kPad - c0)
                AttentionTile.product(
                    m: m, panels: width / 16, k: dimension, a: x + r0 * dimension, aRow: dimension,
                    aColumn: 1, b: packed + c0, ldb: kPad, c: dots.base, ldc: cb, accumulate: false)
                for i in 0..<m {
                    let (value, index) = argmin(dots.base + i * cb, width: width, firstCode: c0)
                    if value < best[i] || bestIndex[i] < 0 {
                        best[i] = value
                        bestIndex[i] = index
                    }
                }
                c0 += width
            }
            for i in 0..<m {
                let row = r0 + i
                // NaN scores never win a comparison; fall back to code 0 so the index stays valid.
                let code = Int(max(bestIndex[i], 0))
                indices[row] = Int32(code)
                distances[row] = squaredDistance(x + row * dimension, codebook + code * dimension)
            }
        }
    }

    /// min over the block of ‖e‖² − 2·x·e and the lowest code index attaining it.
    @inline(__always)
    func argmin(_ dot: UnsafePointer<Float>, width: Int, firstCode: Int) -> (Float, Int32) {
        var bestValue = V(repeating: .infinity)
        var bestLane = SIMD16<Int32>(repeating: Int32.max)
        var j = 0
        while j < width {
            let score = AttentionTile.load(norms + firstCode + j).addingProduct(-2, AttentionTile.load(dot + j))
            let index = AttentionTile.laneIndex &+ Int32(firstCode + j)
            // Strict <: within a lane, indices only grow, so the first minimum is kept.
            let better = score .< bestValue
            bestValue = bestValue.replacing(with: score, where: better)
            bestLane = bestLane.replacing(with: index, where: better)
            j += 16
        }
        let value = bestValue.min()
        let index = bestLane.replacing(with: Int32.max, where: bestValue .!= value).min()
        return (value, index == Int32.max ? -1 : index)
    }

    @inline(__always)
    func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
        var acc = V()
        var p = 0
        while p + 16 <= dimension {
            let diff = AttentionTile.load(a + p) - AttentionTile.load(b + p)
            acc = acc.addingProduct(diff, diff)
            p += 16
        }
        var total = acc.sum()
        while p < dimension {
            let diff = a[p] - b[p]
            total += diff * diff
            p += 1
        }
        return total
    }
}
