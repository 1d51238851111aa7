/// The Gaussian-mixture kernels on the CPU backend (semantics: FusedKernels.swift).
///
/// `gaussianLogDensity`: threads take blocks of 4 rows; per component, each 8 features of the mean
/// and precision are loaded once for the 4 rows (four 8-lane accumulators), so no
/// count × components × dimension temporary exists. `gaussianScatter`: each thread takes a slab of
/// rows with its own components × dimension sums (Float32 over at most 256 rows, then added into
/// Float64); rows whose weight is exactly 0 (responsibilities that underflowed) add nothing and are
/// skipped; the slabs are added in order. `gaussianMoments` runs the same slabs over w·[x, 1].
/// Argument checks: `MixtureShape.validate`, shared with the OpenCL backend.
extension CPUDevice {
    public func gaussianLogDensity(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validate(
            "gaussianLogDensity",
            [
                ("x", x, shape.rows), ("means", means, shape.table), ("precisions", precisions, shape.table),
                ("offsets", offsets, components), ("out", out, shape.perRow),
            ])
        let rows = GaussianLogDensityRows(
            x: UnsafePointer(try cpu(x).floats), means: UnsafePointer(try cpu(means).floats),
            precisions: UnsafePointer(try cpu(precisions).floats), offsets: UnsafePointer(try cpu(offsets).floats),
            count: count, components: components, dimension: dimension)
        let po = try cpu(out).floats
        if count == 0 || components == 0 { return }
        let blocks = (count + 3) / 4
        parallelFor(blocks, grain: max(1, 65_536 / max(1, 4 * components * dimension))) { start, end in
            for block in start..<end { rows.run(block: block, out: po) }
        }
    }

    public func gaussianScatter(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, means: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validate(
            "gaussianScatter",
            [("x", x, shape.rows), ("weights", weights, shape.perRow), ("means", means, shape.table), ("out", out, shape.table)])
        let rows = GaussianScatterRows(
            x: UnsafePointer(try cpu(x).floats), weights: UnsafePointer(try cpu(weights).floats),
            means: UnsafePointer(try cpu(means).floats), components: components, dimension: dimension)
        let po = try cpu(out).floats
        let kd = components * dimension
        if kd == 0 { return }
        let slabs = min(threads, max(1, count * kd / 262_144))
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: slabs * kd)
        defer { sums.deallocate() }
        parallelFor(slabs, grain: 1) { start, end in
            for s in start..<end { rows.run(count * s / slabs..<count * (s + 1) / slabs, into: sums + s * kd) }
        }
        for i in 0..<kd {
            var total = 0.0
            for s in 0..<slabs { total += sums[s * kd + i] }
            po[i] = Float(total)
        }
    }

    public func gaussianMoments(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        let shape = MixtureShape(count: count, components: components, dimension: dimension)
        try shape.validate("gaussianMoments", [("x", x, shape.rows), ("weights", weights, shape.perRow), ("out", out, shape.moments)])
        let rows = GaussianMomentsRows(
            x: UnsafePointer(try cpu(x).floats), weights: UnsafePointer(try cpu(weights).floats),
            components: components, dimension: dimension)
        let po = try cpu(out).floats
        let width = shape.moments
        if width == 0 { return }
        let slabs = min(threads, max(1, count * width / 262_144))
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: slabs * width)
        defer { sums.deallocate() }
        parallelFor(slabs, grain: 1) { start, end in
            for s in start..<end { rows.run(count * s / slabs..<count * (s + 1) / slabs, into: sums + s * width) }
        }
        for i in 0..<width {
            var total = 0.0
            for s in 0..<slabs { total += sums[s * width + i] }
            po[i] = Float(total)
        }
    }
}

/// The read-only state of one gaussianMoments call; `run` sums w·[x, 1] over a range of rows into
/// Float64 (Float32 within blocks of 256 rows, as the scatter), skipping rows whose weight is 0.
struct GaussianMomentsRows {
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>
    let components: Int, dimension: Int

    func run(_ rows: Range<Int>, into total: UnsafeMutablePointer<Double>) {
        let (k, d) = (components, dimension)
        let width = k * (d + 1)
        total.update(repeating: 0, count: width)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { partial.deallocate() }
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(rows.upperBound, start + GaussianScatterRows.block)
            partial.update(repeating: 0, count: width)
            for row in start..<end {
                let xr = x + row * d
                for c in 0..<k {
                    let w = weights[row * k + c]
                    if w == 0 { continue }
                    let acc = partial + c * (d + 1)
                    let lanes = FloatLanes(repeating: w)
                    var j = 0
                    while j + FloatLanes.scalarCount <= d {
                        storeLanes(loadLanes(acc, j).addingProduct(lanes, loadLanes(xr, j)), acc, j)
                        j += FloatLanes.scalarCount
                    }
                    while j < d {
                        acc[j] += w * xr[j]
                        j += 1
                    }
                    acc[d] += w
                }
            }
            for i in 0..<width { total[i] += Double(partial[i]) }
            start = end
        }
    }
}

/// The read-only state of one gaussianLogDensity call; `run` writes the rows of one 4-row block.
struct GaussianLogDensityRows {
    let x: UnsafePointer<Float>, means: UnsafePointer<Float>, precisions: UnsafePointer<Float>
    let offsets: UnsafePointer<Float>
    let count: Int, components: Int, dimension: Int

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

/// The read-only state of one gaussianScatter call; `run` sums a range of rows into Float64.
struct GaussianScatterRows {
    /// Rows summed in Float32 before their sums are added into the Float64 totals.
    static let block = 256
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>, means: UnsafePointer<Float>
    let components: Int, dimension: Int

    func run(_ rows: Range<Int>, into total: UnsafeMutablePointer<Double>) {
        let (k, d) = (components, dimension)
        total.update(repeating: 0, count: k * d)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: k * d)
        defer { partial.deallocate() }
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(rows.upperBound, start + Self.block)
            partial.update(repeating: 0, count: k * d)
            for row in start..<end {
                let xr = x + row * d
                for c in 0..<k {
                    let w = weights[row * k + c]
                    if w == 0 { continue }
                    let mu = means + c * d, acc = partial + c * d
                    let lanes = FloatLanes(repeating: w)
                    var j = 0
                    while j + FloatLanes.scalarCount <= d {
                        let t = loadLanes(xr, j) - loadLanes(mu, j)
                        storeLanes(loadLanes(acc, j).addingProduct(t * lanes, t), acc, j)
                        j += FloatLanes.scalarCount
                    }
                    while j < d {
                        let t = xr[j] - mu[j]
                        acc[j] += t * w * t
                        j += 1
                    }
                }
            }
            for i in 0..<(k * d) { total[i] += Double(partial[i]) }
            start = end
        }
    }
}
