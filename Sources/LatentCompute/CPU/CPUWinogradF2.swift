/// Winograd F(2×2, 3×3) (points 0, 1, −1, ∞): G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
/// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], Aᵀ = [1 1 1 0; 0 1 −1 −1].
///
/// Vectors run over 8 tiles of a tile row: V[ξ] is [in × tiles] and M[ξ] = U[ξ]·V[ξ] is
/// [out × tiles].
extension CPUWinograd {
    /// Width of the zero-padded input plane: 2·(tilesX + 1) columns (the column pass reads up to
    /// 2·tilesX + 1), rounded up to 8 lanes.
    var paddedWidth: Int { (2 * (tilesX + 1) + 7) / 8 * 8 }
    /// Floats from one row of V or M to the next: a task's tiles and 8 more, so that the output
    /// pass over a last, partial group of 8 tiles stays inside the row.
    var tileStride: Int { tilesPerTask + FloatLanes.scalarCount }
    /// Floats per staging output row: 2·tilesX plus a vector's slack.
    var stagingWidth: Int { 2 * tilesX + 8 }

    var scratchSizesF2: ScratchSizes {
        ScratchSizes(
            v: 16 * geometry.channels * tileStride, m: 16 * outChannels * tileStride,
            padded: paddedHeight * paddedWidth, rows: 4 * paddedWidth, out: 2 * stagingWidth)
    }

    /// Zeros the padding after each row of M: the output pass reads it into unused lanes (zeros, not
    /// whatever the pool held: denormals would slow the lanes down).
    func clearProductPadding(_ m: UnsafeMutablePointer<Float>) {
        for row in 0..<16 * outChannels {
            (m + row * tileStride + tilesPerTask).initialize(repeating: 0, count: tileStride - tilesPerTask)
        }
    }

    /// One task of F(2×2): V for every input plane, 16 GEMMs M = U·V, the output planes.
    func runTaskF2(
        images: Range<Int>, _ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ s: Scratch
    ) {
        let g = geometry, c = g.channels, o = outChannels
        let perImage = tilesY * tilesX, tiles = images.count * perImage, ld = tileStride
        for (j, image) in images.enumerated() {
            for ic in 0..<c {
                transformInputF2(x + (image * c + ic) * g.height * g.width, s, into: s.v + ic * ld + j * perImage, stride: c * ld)
            }
        }
        for xi in 0..<16 {
            let problem = SGEMMKernel.Problem(
                m: o, n: tiles, k: c, transposeA: false, transposeB: false, alpha: 1, beta: 0,
                a: u + xi * o * c, b: UnsafePointer(s.v + xi * c * ld), c: s.m + xi * o * ld,
                lda: c, ldb: ld, ldc: ld)
            SGEMMKernel.run(problem, scratch: s.gemm)
        }
        let outPlane = g.outHeight * g.outWidth
        for (j, image) in images.enumerated() {
            for oc in 0..<o {
                transformOutputF2(UnsafePointer(s.m + oc * ld + j * perImage), stride: o * ld, s, into: y + (image * o + oc) * outPlane)
            }
        }
    }

    /// U = G·g·Gᵀ of one 3×3 filter (`taps(t)`, row-major), matrix ξ = 4i + j at `target + ξ·step`.
    static func transformFilterF2(_ taps: (Int) -> Float, into target: UnsafeMutablePointer<Float>, step: Int) {
        // Row i of G·g applies G's row i to g's columns; each such row r gives
        // [r0, ½(r0+r1+r2), ½(r0−r1+r2), r2].
        for i in 0..<4 {
            var r = (Float(0), Float(0), Float(0))
            for j in 0..<3 {
                let (a, b, e) = (taps(j), taps(3 + j), taps(6 + j))
                let value: Float = i == 0 ? a : i == 1 ? 0.5 * (a + b + e) : i == 2 ? 0.5 * (a - b + e) : e
                if j == 0 { r.0 = value } else if j == 1 { r.1 = value } else { r.2 = value }
            }
            let row = target + 4 * i * step
            row[0] = r.0
            row[step] = 0.5 * (r.0 + r.1 + r.2)
            row[2 * step] = 0.5 * (r.0 - r.1 + r.2)
            row[3 * step] = r.2
        }
    }

    /// V[ξ][tile] (ξ-th matrix at `target + ξ·stride`) of one input plane: the plane is copied into
    /// a zero border once, then each tile row forms Bᵀ·d for the whole row with 8-lane vectors, and
    /// ·B per tile.
    func transformInputF2(_ plane: UnsafePointer<Float>, _ s: Scratch, into target: UnsafeMutablePointer<Float>, stride: Int) {
        padPlane(plane, s)
        let pw = paddedWidth, r = s.rows
        for ty in 0..<tilesY {
            let d0 = UnsafePointer(s.padded + 2 * ty * pw), d1 = d0 + pw, d2 = d1 + pw, d3 = d2 + pw
            var i = 0
            while i < pw {
                let a = loadLanes(d0, i), b = loadLanes(d1, i), e = loadLanes(d2, i), f = loadLanes(d3, i)
                storeLanes(a - e, r, i)
                storeLanes(b + e, r + pw, i)
                storeLanes(e - b, r + 2 * pw, i)
                storeLanes(b - f, r + 3 * pw, i)
                i += FloatLanes.scalarCount
            }
            let base = ty * tilesX
            for k in 0..<4 {
                let line = UnsafePointer(r + k * pw)
                let t0 = target + (4 * k) * stride + base, t1 = t0 + stride, t2 = t1 + stride, t3 = t2 + stride
                // 8 tiles at a time: columns 2tx, 2tx+1 and 2tx+2, 2tx+3 are the even and odd halves of
                // 16 floats at 2tx and at 2tx + 2 (the last full group reads up to column 2·tilesX + 1).
                var tx = 0
                while tx + FloatLanes.scalarCount <= tilesX {
                    let a = UnsafeRawPointer(line + 2 * tx).loadUnaligned(as: SIMD16<Float>.self)
                    let b = UnsafeRawPointer(line + 2 * tx + 2).loadUnaligned(as: SIMD16<Float>.self)
                    let (e0, o1, e2, o3) = (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                    storeLanes(e0 - e2, t0, tx)
                    storeLanes(o1 + e2, t1, tx)
                    storeLanes(e2 - o1, t2, tx)
                    storeLanes(o1 - o3, t3, tx)
                    tx += FloatLanes.scalarCount
                }
                while tx < tilesX {
                    let p = line + 2 * tx
                    t0[tx] = p[0] - p[2]
                    t1[tx] = p[1] + p[2]
                    t2[tx] = p[2] - p[1]
                    t3[tx] = p[1] - p[3]
                    tx += 1
                }
            }
        }
    }

    /// One output plane from M[ξ][tile] (ξ-th matrix at `source + ξ·stride`): Aᵀ·M·A for 8 tiles at a
    /// time, written through two staging rows so odd output sizes drop their last row or column.
    func transformOutputF2(_ source: UnsafePointer<Float>, stride: Int, _ s: Scratch, into plane: UnsafeMutablePointer<Float>) {
        let top = s.out, bottom = s.out + stagingWidth
        for ty in 0..<tilesY {
            var tx = 0
            while tx < tilesX {
                // A partial last group reads the next tiles or the padding (`tileStride`) in its
                // extra lanes and drops them.
                let base = source + ty * tilesX + tx, lanes = min(FloatLanes.scalarCount, tilesX - tx)
                let at = { (xi: Int) in loadLanes(base + xi * stride, 0) }
                // Aᵀ·M: s = rows 0 + 1 + 2, u = rows 1 − 2 − 3; then ·A the same on columns.
                let s0 = at(0) + at(4) + at(8), s1 = at(1) + at(5) + at(9)
                let s2 = at(2) + at(6) + at(10), s3 = at(3) + at(7) + at(11)
                let u0 = at(4) - at(8) - at(12), u1 = at(5) - at(9) - at(13)
                let u2 = at(6) - at(10) - at(14), u3 = at(7) - at(11) - at(15)
                let y00 = s0 + s1 + s2, y01 = s1 - s2 - s3, y10 = u0 + u1 + u2, y11 = u1 - u2 - u3
                for l in 0..<lanes {
                    let column = 2 * (tx + l)
                    top[column] = y00[l]
                    top[column + 1] = y01[l]
                    bottom[column] = y10[l]
                    bottom[column + 1] = y11[l]
                }
                tx += lanes
            }
            flushStaging(s, ty: ty, into: plane)
        }
    }

    /// Copies one input plane into `s.padded` inside its zero border (padding at the top and left,
    /// zeros to the right and below up to the tiles' extent).
    private func padPlane(_ plane: UnsafePointer<Float>, _ s: Scratch) {
        let g = geometry, pw = paddedWidth, ph = paddedHeight
        s.padded.initialize(repeating: 0, count: ph * pw)
        for row in 0..<ph {
            let sy = row - g.padY
            guard sy >= 0, sy < g.height else { continue }
            let x0 = max(0, -g.padX), x1 = min(g.width, pw - g.padX)
            if x0 < x1 { convCopyShortRow(from: plane + sy * g.width + x0, to: s.padded + row * pw + g.padX + x0, count: x1 - x0) }
        }
    }

    /// Copies the two staging rows of tile row ty into the output plane, dropping a row or column
    /// past the output's edge.
    private func flushStaging(_ s: Scratch, ty: Int, into plane: UnsafeMutablePointer<Float>) {
        let g = geometry
        for r in 0..<2 where 2 * ty + r < g.outHeight {
            convCopyShortRow(from: s.out + r * stagingWidth, to: plane + (2 * ty + r) * g.outWidth, count: g.outWidth)
        }
    }
}
