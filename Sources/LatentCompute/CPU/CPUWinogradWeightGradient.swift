/// The filter gradient of a qualifying convolution through Winograd F(4×4, 3×3), as the adjoint of
/// the forward pass. Per tile Y = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A, so with U = G·g·Gᵀ,
/// ∂L/∂U = Σ_tiles (A·∂Y·Aᵀ) ⊙ V and ∂L/∂g = Gᵀ·(∂L/∂U)·G. Over channels, ∂L/∂U[ξ] = V[ξ]ᵀ·Ŷ[ξ]
/// ([in × tiles]·[tiles × out]) for each of the 36 matrices ξ, summed over every tile of the batch:
/// 36 multiply-adds per tile and channel pair instead of im2col's 144.
///
/// Workers sum their own tasks into a partial ∂L/∂U (fixed tasks per worker), added in worker order,
/// so the result does not depend on scheduling.
extension CPUWinograd {
    /// ∂L/∂g [out, in, 3, 3] of the convolution x → y from x [batch, in, H, W] and ∂L/∂y
    /// [batch, out, outH, outW]. Only for F(4×4) plans.
    func runWeightGradient(_ x: UnsafePointer<Float>, gradOutput gy: UnsafePointer<Float>, into gw: UnsafeMutablePointer<Float>) {
        precondition(tile == .f4, "the Winograd filter gradient is implemented for F(4×4, 3×3)")
        let plan = self, size = 36 * geometry.channels * outChannels
        let partials = PooledFloats(count: workers * size)
        let sums = partials.pointer
        DispatchWorkers.run(workers) { w in
            let scratch = Scratch(plan)
            let first = plan.tasks * w / plan.workers, last = plan.tasks * (w + 1) / plan.workers
            for task in first..<last {
                let start = task * plan.imagesPerTask
                plan.accumulateWeightGradient(
                    images: start..<min(plan.geometry.batch, start + plan.imagesPerTask), x, gy,
                    into: sums + w * size, firstTask: task == first, scratch)
            }
        }
        for w in 1..<workers {
            let part = UnsafePointer(sums + w * size)
            for i in 0..<size { sums[i] += part[i] }
        }
        filterGradient(fromTransformed: UnsafePointer(sums), into: gw)
        withExtendedLifetime(partials) {}
    }

    /// Adds V[ξ]ᵀ·Ŷ[ξ] of one task's tiles to `sums` ([36][in][out]); the first task of a worker
    /// overwrites it instead.
    private func accumulateWeightGradient(
        images: Range<Int>, _ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>,
        firstTask: Bool, _ s: Scratch
    ) {
        let g = geometry, c = g.channels, o = outChannels, perImage = tilesY * tilesX
        let ci = inputChannelStride, co = outputChannelStride, tiles = images.count * perImage
        let outPlane = g.outHeight * g.outWidth
        for (j, image) in images.enumerated() {
            for group in stride(from: 0, to: c, by: 8) {
                interleaveInput(x + (image * c + group) * g.height * g.width, lanes: min(8, c - group), s)
                transformInputF4(s, into: s.v + j * perImage * ci + group, matrixStride: tilesPerTask * ci, tileStride: ci)
            }
            for group in stride(from: 0, to: o, by: 8) {
                interleaveOutputGradient(gy + (image * o + group) * outPlane, lanes: min(8, o - group), s)
                transformOutputGradient(s, into: s.m + j * perImage * co + group, matrixStride: tilesPerTask * co, tileStride: co)
            }
        }
        for xi in 0..<36 {
            let problem = SGEMMKernel.Problem(
                m: c, n: o, k: tiles, transposeA: true, transposeB: false, alpha: 1, beta: firstTask ? 0 : 1,
                a: UnsafePointer(s.v + xi * tilesPerTask * ci), b: UnsafePointer(s.m + xi * tilesPerTask * co),
                c: sums + xi * c * o, lda: ci, ldb: co, ldc: o)
            SGEMMKernel.run(problem, scratch: s.gemm)
        }
    }

    /// Interleaves `lanes` consecutive output-gradient planes into `s.out` (pixel (row, column) at
    /// (row·4·tilesX + column)·8), zero past the output's edge and in the unused lanes.
    private func interleaveOutputGradient(_ planes: UnsafePointer<Float>, lanes: Int, _ s: Scratch) {
        let g = geometry, width = 4 * tilesX
        s.out.initialize(repeating: 0, count: 4 * tilesY * width * 8)
        for lane in 0..<lanes {
            let plane = planes + lane * g.outHeight * g.outWidth
            for row in 0..<g.outHeight {
                let source = plane + row * g.outWidth, target = s.out + row * width * 8 + lane
                for x in 0..<g.outWidth { target[8 * x] = source[x] }
            }
        }
    }

    /// Ŷ = A·∂Y·Aᵀ (6×6 from each 4×4 tile of `s.out`): tile t's matrix ξ at
    /// `target + ξ·matrixStride + t·tileStride`, 8 output channels per vector.
    private func transformOutputGradient(_ s: Scratch, into target: UnsafeMutablePointer<Float>, matrixStride: Int, tileStride: Int) {
        let rows = s.rows, width = 4 * tilesX
        for ty in 0..<tilesY {
            for tx in 0..<tilesX {
                let d = UnsafePointer(s.out + (4 * ty * width + 4 * tx) * 8)
                // A·∂Y column by column into rows[i][q] …
                for q in 0..<4 {
                    let pixel = { (r: Int) in loadLanes(d, (r * width + q) * 8) }
                    let v = Self.gradientCombinations(pixel(0), pixel(1), pixel(2), pixel(3))
                    Self.storeSix(v, rows + q * 8, step: 4 * 8)
                }
                // … then ·Aᵀ row by row.
                let tile = target + (ty * tilesX + tx) * tileStride
                for i in 0..<6 {
                    let row = { (q: Int) in loadLanes(rows, (4 * i + q) * 8) }
                    let v = Self.gradientCombinations(row(0), row(1), row(2), row(3))
                    Self.storeSix(v, tile + 6 * i * matrixStride, step: matrixStride)
                }
            }
        }
    }

    /// A·(v0 … v3) with A = (Aᵀ)ᵀ, lane by lane.
    @inline(__always)
    private static func gradientCombinations(
        _ v0: FloatLanes, _ v1: FloatLanes, _ v2: FloatLanes, _ v3: FloatLanes
    ) -> (FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes) {
        let even = v0 + v2, odd = v1 + v3, evenFar = v0 + 4 * v2, oddFar = 2 * v1 + 8 * v3
        return (v0, even + odd, even - odd, evenFar + oddFar, evenFar - oddFar, v3)
    }

    /// ∂L/∂g[oc][ic] = Gᵀ·∂L/∂U·G for every pair, 8 output channels per vector; ∂L/∂U of the pair at
    /// sums[(ξ·c + ic)·o + oc].
    private func filterGradient(fromTransformed sums: UnsafePointer<Float>, into gw: UnsafeMutablePointer<Float>) {
        let c = geometry.channels, o = outChannels
        withUnsafeTemporaryAllocation(of: FloatLanes.self, capacity: 18) { half in
            var first = 0
            while first < o {
                let lanes = min(FloatLanes.scalarCount, o - first)
                for ic in 0..<c {
                    let entry = { (xi: Int) -> FloatLanes in
                        let p = sums + (xi * c + ic) * o + first
                        if lanes == FloatLanes.scalarCount { return loadLanes(p, 0) }
                        var v = FloatLanes()
                        for l in 0..<lanes { v[l] = p[l] }
                        return v
                    }
                    // Gᵀ·∂U column by column: half[3k + a] = (Gᵀ·∂U)[a][k] …
                    for k in 0..<6 {
                        let v = Self.filterGradientCombinations(entry(k), entry(6 + k), entry(12 + k), entry(18 + k), entry(24 + k), entry(30 + k))
                        (half[3 * k], half[3 * k + 1], half[3 * k + 2]) = v
                    }
                    // … then ·G row by row: g[a][b] = Σ_k (Gᵀ·∂U)[a][k]·G[k][b].
                    for a in 0..<3 {
                        let v = Self.filterGradientCombinations(half[a], half[3 + a], half[6 + a], half[9 + a], half[12 + a], half[15 + a])
                        for l in 0..<lanes {
                            let taps = gw + ((first + l) * c + ic) * 9 + 3 * a
                            (taps[0], taps[1], taps[2]) = (v.0[l], v.1[l], v.2[l])
                        }
                    }
                }
                first += lanes
            }
        }
    }

    /// Gᵀ·(v0 … v5), lane by lane.
    @inline(__always)
    private static func filterGradientCombinations(
        _ v0: FloatLanes, _ v1: FloatLanes, _ v2: FloatLanes, _ v3: FloatLanes, _ v4: FloatLanes, _ v5: FloatLanes
    ) -> (FloatLanes, FloatLanes, FloatLanes) {
        let sixth: Float = 1 / 6, sum12 = v1 + v2, sum34 = v3 + v4, diff = v2 - v1, diff34 = v3 - v4
        return (
            v0 * 0.25 - sum12 * sixth + sum34 * (1 / 24 as Float),
            diff * sixth + diff34 * (1 / 12 as Float),
            (sum34 - sum12) * sixth + v5
        )
    }
}
