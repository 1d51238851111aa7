#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Gaussian-mixture kernels on the CPU backend (semantics: FusedKernels.swift).
///
/// `gaussianLogDensity`: threads take blocks of 4 rows; per component, each 8 features of the mean
/// and precision are loaded once for the 4 rows (four 8-lane accumulators), so no
/// count × components × dimension temporary exists. `gaussianResponsibilities` runs the same blocks,
/// then turns each thread's rows into responsibilities while they are in cache (one 16-lane exp
/// over the rows' shifted values: rows of K = 10 are too short for a per-row vector exp).
/// `gaussianScatter` and `gaussianMoments` (rows narrower than 128; wider ones run the GEMM):
/// each thread takes a slab of rows (`MixtureSlabSums`);
/// within a slab, tiles of rows are summed per 8 features in registers (the scatter: components in
/// groups of 4; the moments: per component, four rows at a time), in Float32 over at most 256 rows,
/// then added into Float64; the slabs are added in order. Argument checks: `MixtureShape.validate`,
/// shared with the OpenCL backend.
extension CPUDevice {
    public func gaussianLogDensity(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validateDensity("gaussianLogDensity", x: x, means: means, precisions: precisions, offsets: offsets, out: out)
        let rows = try logDensityRows(x, means, precisions, offsets, shape)
        let po = try cpu(out).floats
        if count == 0 || components == 0 { return }
        parallelFor((count + 3) / 4, grain: rows.grain) { start, end in
            for block in start..<end { rows.run(block: block, out: po) }
        }
    }

    public func gaussianResponsibilities(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, logLikelihood: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validateDensity(
            "gaussianResponsibilities", x: x, means: means, precisions: precisions, offsets: offsets, out: out,
            logLikelihood: logLikelihood)
        let rows = try logDensityRows(x, means, precisions, offsets, shape)
        let po = try cpu(out).floats, pl = try cpu(logLikelihood).floats
        if count == 0 || components == 0 { return }
        parallelFor((count + 3) / 4, grain: rows.grain) { start, end in
            for block in start..<end { rows.run(block: block, out: po) }
            let first = start * 4, last = min(count, end * 4)
            MixtureRowNormalizer.normalize(po + first * components, rows: last - first, components: components, logLikelihood: pl + first)
        }
    }

    private func logDensityRows(
        _ x: any DeviceBuffer, _ means: any DeviceBuffer, _ precisions: any DeviceBuffer, _ offsets: any DeviceBuffer,
        _ shape: MixtureShape
    ) throws -> GaussianLogDensityRows {
        GaussianLogDensityRows(
            x: UnsafePointer(try cpu(x).floats), means: UnsafePointer(try cpu(means).floats),
            precisions: UnsafePointer(try cpu(precisions).floats), offsets: UnsafePointer(try cpu(offsets).floats),
            count: shape.count, components: shape.components, dimension: shape.dimension)
    }

    public func gaussianScatter(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, means: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validate(
            "gaussianScatter",
            [("x", x, shape.rows), ("weights", weights, shape.perRow), ("means", means, shape.table), ("out", out, shape.table)])
        let tiles = GaussianScatterTiles(
            x: UnsafePointer(try cpu(x).floats), weights: UnsafePointer(try cpu(weights).floats),
            means: UnsafePointer(try cpu(means).floats), components: components, dimension: dimension)
        MixtureSlabSums.run(tiles, count: count, on: self, into: try cpu(out).floats)
    }

    public func gaussianMoments(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validate("gaussianMoments", [("x", x, shape.rows), ("weights", weights, shape.perRow), ("out", out, shape.moments)])
        let (xs, ws, o) = (UnsafePointer(try cpu(x).floats), UnsafePointer(try cpu(weights).floats), try cpu(out).floats)
        if dimension >= Self.momentsByGEMMFromDimension {
            momentsByGEMM(x: xs, weights: ws, out: o, count: count, components: components, dimension: dimension)
            return
        }
        let tiles = GaussianMomentsTiles(x: xs, weights: ws, components: components, dimension: dimension)
        MixtureSlabSums.run(tiles, count: count, on: self, into: o)
    }

    /// Rows at least this wide take `momentsByGEMM`. The tiles keep 16 KiB of rows in L1, which at
    /// D = 784 is 5 rows: each 8-feature accumulator is loaded and stored every 5 multiply-adds. A
    /// 20-iteration fit of 10 000 × 784 with K = 10 spent 3.69 G instructions in the tiles, about
    /// 0.5 G in the GEMM (callgrind: 10.98 G → 7.81 G for the whole fit).
    static let momentsByGEMMFromDimension = 128

    /// out[k, 0..<D] = (wᵀx)[k, ·] by the blocked GEMM, written straight into out's rows of D + 1
    /// (ldc); out[k, D] = Σ_n w[n, k] accumulated in Float64.
    private func momentsByGEMM(
        x: UnsafePointer<Float>, weights: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        count: Int, components: Int, dimension: Int
    ) {
        let product = SGEMMKernel.Problem(
            m: components, n: dimension, k: count, transposeA: true, transposeB: false, alpha: 1, beta: 0,
            a: weights, b: x, c: out, lda: components, ldb: dimension, ldc: dimension + 1)
        SGEMMKernel.runBatched(problems: [product], threads: threads)
        var totals = [Double](repeating: 0, count: components)
        for n in 0..<count {
            for c in 0..<components { totals[c] += Double(weights[n * components + c]) }
        }
        for c in 0..<components { out[c * (dimension + 1) + dimension] = Float(totals[c]) }
    }
}

/// Rows of log-densities → responsibilities in place, and each row's log-sum-exp.
enum MixtureRowNormalizer {
    /// p [rows × components] becomes exp(p − lse(row)); logLikelihood[r] = lse(row r) = m + log Σ exp(p − m).
    static func normalize(
        _ p: UnsafeMutablePointer<Float>, rows: Int, components k: Int, logLikelihood: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = p + r * k
            var m = row[0]
            for j in 1..<k where row[j] > m { m = row[j] }
            logLikelihood[r] = m
            for j in 0..<k { row[j] -= m }
        }
        // One exp over all the shifted values (≤ 0), 16 lanes at a time; the tail padded with −∞.
        let total = rows * k, w = FloatVector.scalarCount
        var i = 0
        while i + w <= total {
            store(vectorExp(load(p, i)), p, i)
            i += w
        }
        if i < total {
            var v = FloatVector(repeating: -.infinity)
            for j in i..<total { v[j - i] = p[j] }
            let e = vectorExp(v)
            for j in i..<total { p[j] = e[j - i] }
        }
        for r in 0..<rows {
            let row = p + r * k
            var sum: Float = 0
            for j in 0..<k { sum += row[j] }
            logLikelihood[r] += logf(sum)
            let scale = 1 / sum
            for j in 0..<k { row[j] *= scale }
        }
    }
}

/// A sum over rows that `MixtureSlabSums` splits into slabs and tiles: `add` accumulates the rows
/// of one tile into `width` Float32 partial sums.
protocol MixtureTileSum {
    var width: Int { get }
    /// Rows per tile (x rows that stay in L1).
    var tileRows: Int { get }
    func add(rows: Range<Int>, into partial: UnsafeMutablePointer<Float>)
}

/// Slabs of rows per thread, Float32 partial sums over at most `block` rows added into Float64,
/// slabs added in order.
enum MixtureSlabSums {
    /// Rows summed in Float32 before their sums are added into the Float64 totals.
    static let block = 256

    static func run<T: MixtureTileSum>(_ tiles: T, count: Int, on device: CPUDevice, into out: UnsafeMutablePointer<Float>) {
        let width = tiles.width
        if width == 0 { return }
        let slabs = min(device.threads, max(1, count * width / 262_144))
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: slabs * width)
        defer { sums.deallocate() }
        device.parallelFor(slabs, grain: 1) { start, end in
            for s in start..<end { sum(tiles, count * s / slabs..<count * (s + 1) / slabs, into: sums + s * width) }
        }
        for i in 0..<width {
            var total = 0.0
            for s in 0..<slabs { total += sums[s * width + i] }
            out[i] = Float(total)
        }
    }

    private static func sum<T: MixtureTileSum>(_ tiles: T, _ rows: Range<Int>, into total: UnsafeMutablePointer<Double>) {
        let width = tiles.width
        total.update(repeating: 0, count: width)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { partial.deallocate() }
        let tile = max(1, min(block, tiles.tileRows))
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(rows.upperBound, start + block)
            partial.update(repeating: 0, count: width)
            var t0 = start
            while t0 < end {
                let t1 = min(end, t0 + tile)
                tiles.add(rows: t0..<t1, into: partial)
                t0 = t1
            }
            for i in 0..<width { total[i] += Double(partial[i]) }
            start = end
        }
    }
}

/// x rows per tile: 16 KiB of them.
private func mixtureTileRows(_ dimension: Int) -> Int { max(1, 4096 / max(1, dimension)) }

/// Σ_n w[n, k]·(x[n, d] − μ[k, d])² (`gaussianScatter`): per 8 features, the components in groups of
/// 4 (four accumulators and four means in registers) walk the tile's rows, so each row's 8 features
/// are loaded once per group. A tile is a whole 256-row block: one 8-feature column of it is 256
/// cache lines, which stay in L1 for the next group and the next 8 features. Component by component
/// over 16 KiB tiles (5 rows at D = 784), the accumulators were loaded and stored every 5 rows:
/// 4.56 G of a pixel fit's 7.81 G instructions.
struct GaussianScatterTiles: MixtureTileSum {
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>, means: UnsafePointer<Float>
    let components: Int, dimension: Int
    var width: Int { components * dimension }
    var tileRows: Int { MixtureSlabSums.block }

    func add(rows: Range<Int>, into partial: UnsafeMutablePointer<Float>) {
        let (k, d) = (components, dimension)
        var j = 0
        while j + FloatLanes.scalarCount <= d {
            var k0 = 0
            while k0 < k {
                // A member past K repeats the group's first component and is not stored.
                let c1 = k0 + 1 < k ? k0 + 1 : k0, c2 = k0 + 2 < k ? k0 + 2 : k0, c3 = k0 + 3 < k ? k0 + 3 : k0
                let m0 = loadLanes(means + k0 * d, j), m1 = loadLanes(means + c1 * d, j)
                let m2 = loadLanes(means + c2 * d, j), m3 = loadLanes(means + c3 * d, j)
                var a0 = FloatLanes(), a1 = FloatLanes(), a2 = FloatLanes(), a3 = FloatLanes()
                for n in rows {
                    let v = loadLanes(x + n * d, j), w = weights + n * k
                    let t0 = v - m0, t1 = v - m1, t2 = v - m2, t3 = v - m3
                    a0 = a0.addingProduct(t0 * w[k0], t0)
                    a1 = a1.addingProduct(t1 * w[c1], t1)
                    a2 = a2.addingProduct(t2 * w[c2], t2)
                    a3 = a3.addingProduct(t3 * w[c3], t3)
                }
                let acc = partial + k0 * d
                storeLanes(loadLanes(acc, j) + a0, acc, j)
                if k0 + 1 < k { storeLanes(loadLanes(acc + d, j) + a1, acc + d, j) }
                if k0 + 2 < k { storeLanes(loadLanes(acc + 2 * d, j) + a2, acc + 2 * d, j) }
                if k0 + 3 < k { storeLanes(loadLanes(acc + 3 * d, j) + a3, acc + 3 * d, j) }
                k0 += 4
            }
            j += FloatLanes.scalarCount
        }
        while j < d {
            for c in 0..<k {
                var a: Float = 0
                for n in rows {
                    let t = x[n * d + j] - means[c * d + j]
                    a += t * weights[n * k + c] * t
                }
                partial[c * d + j] += a
            }
            j += 1
        }
    }
}

/// Σ_n w[n, k]·[x[n, ·], 1] (`gaussianMoments`), component by component over a tile.
struct GaussianMomentsTiles: MixtureTileSum {
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>
    let components: Int, dimension: Int
    var width: Int { components * (dimension + 1) }
    var tileRows: Int { mixtureTileRows(dimension) }

    func add(rows: Range<Int>, into partial: UnsafeMutablePointer<Float>) {
        let (k, d) = (components, dimension)
        let (n0, n1) = (rows.lowerBound, rows.upperBound)
        let quads = n0 + (n1 - n0) / 4 * 4
        for c in 0..<k {
            let acc = partial + c * (d + 1), w = weights + c
            var j = 0
            while j + FloatLanes.scalarCount <= d {
                var a0 = FloatLanes(), a1 = FloatLanes(), a2 = FloatLanes(), a3 = FloatLanes()
                var n = n0
                while n < quads {
                    a0 = a0.addingProduct(FloatLanes(repeating: w[n * k]), loadLanes(x + n * d, j))
                    a1 = a1.addingProduct(FloatLanes(repeating: w[(n + 1) * k]), loadLanes(x + (n + 1) * d, j))
                    a2 = a2.addingProduct(FloatLanes(repeating: w[(n + 2) * k]), loadLanes(x + (n + 2) * d, j))
                    a3 = a3.addingProduct(FloatLanes(repeating: w[(n + 3) * k]), loadLanes(x + (n + 3) * d, j))
                    n += 4
                }
                while n < n1 {
                    a0 = a0.addingProduct(FloatLanes(repeating: w[n * k]), loadLanes(x + n * d, j))
                    n += 1
                }
                storeLanes(loadLanes(acc, j) + ((a0 + a1) + (a2 + a3)), acc, j)
                j += FloatLanes.scalarCount
            }
            while j < d {
                var a: Float = 0
                for n in n0..<n1 { a += w[n * k] * x[n * d + j] }
                acc[j] += a
                j += 1
            }
            var total: Float = 0
            for n in n0..<n1 { total += w[n * k] }
            acc[d] += total
        }
    }
}

/// The read-only state of one gaussianLogDensity call; `run` writes the rows of one 4-row block.
struct GaussianLogDensityRows {
    let x: UnsafePointer<Float>, means: UnsafePointer<Float>, precisions: UnsafePointer<Float>
    let offsets: UnsafePointer<Float>
    let count: Int, components: Int, dimension: Int
    /// 4-row blocks per task: about 64 Ki multiply-adds.
    var grain: Int { max(1, 65_536 / max(1, 4 * components * dimension)) }

    func run(block: Int, out: UnsafeMutablePointer<Float>) {
        let d = dimension
        let r0 = block * 4, rowsHere = min(4, count - r0)
        // Past the last row, the block repeats it (computed, not written).
        let x0 = x + r0 * d, x1 = x + min(r0 + 1, count - 1) * d
        let x2 = x + min(r0 + 2, count - 1) * d, x3 = x + min(r0 + 3, count - 1) * d
        for k in 0..<components {
            let mu = means + k * d, p = precisions + k * d
            var a0 = FloatLanes(), a1 = FloatLanes(), a2 = FloatLanes(), a3 = FloatLanes()
            var j = 0
            while j + FloatLanes.scalarCount <= d {
                let m = loadLanes(mu, j), w = loadLanes(p, j)
                let t0 = loadLanes(x0, j) - m, t1 = loadLanes(x1, j) - m
                let t2 = loadLanes(x2, j) - m, t3 = loadLanes(x3, j) - m
                a0 = a0.addingProduct(t0 * w, t0)
                a1 = a1.addingProduct(t1 * w, t1)
                a2 = a2.addingProduct(t2 * w, t2)
                a3 = a3.addingProduct(t3 * w, t3)
                j += FloatLanes.scalarCount
            }
            var s = (a0.sum(), a1.sum(), a2.sum(), a3.sum())
            while j < d {
                let m = mu[j], w = p[j]
                let t0 = x0[j] - m, t1 = x1[j] - m, t2 = x2[j] - m, t3 = x3[j] - m
                s.0 += t0 * w * t0
                s.1 += t1 * w * t1
                s.2 += t2 * w * t2
                s.3 += t3 * w * t3
                j += 1
            }
            let o = out + r0 * components + k
            o[0] = offsets[k] - 0.5 * s.0
            if rowsHere > 1 { o[components] = offsets[k] - 0.5 * s.1 }
            if rowsHere > 2 { o[2 * components] = offsets[k] - 0.5 * s.2 }
            if rowsHere > 3 { o[3 * components] = offsets[k] - 0.5 * s.3 }
        }
    }
}
