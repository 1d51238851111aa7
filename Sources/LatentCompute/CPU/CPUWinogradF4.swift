/// The transforms of Winograd F(4×4, 3×3) (points 0, ±1, ±2, ∞; Lavin & Gray 2016):
///
///     G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]
///     Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
///     Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
///
/// Vectors run over 8 channels of one image, so every lane is in use whatever the image size: the
/// input planes of a group of 8 channels are interleaved into one zero-padded buffer (8 channels
/// per pixel), each tile is transformed on its 36 pixel vectors (columns, then rows, through 36
/// vectors of scratch), and the outputs come back the same way. V[ξ] is [tiles × in] and
/// M[ξ] = V[ξ]·U[ξ] is [tiles × out], with U stored [in × out].
extension CPUWinograd {
    /// Floats per tile in V: the input channels rounded up to whole groups of 8.
    var inputChannelStride: Int { (geometry.channels + 7) / 8 * 8 }
    /// Floats per tile in M: the output channels rounded up to whole groups of 8.
    var outputChannelStride: Int { (outChannels + 7) / 8 * 8 }
    /// Pixels per row of the interleaved, zero-padded input: 4·tilesX + 2.
    var interleavedWidth: Int { 4 * tilesX + 2 }

    var scratchSizesF4: ScratchSizes {
        ScratchSizes(
            v: 36 * tilesPerTask * inputChannelStride, m: 36 * tilesPerTask * outputChannelStride,
            padded: paddedHeight * interleavedWidth * 8, rows: 36 * 8, out: 16 * tilesY * tilesX * 8)
    }

    /// Zeros M's columns past the last output channel (never written by the GEMMs, read into unused
    /// lanes by the output pass; zeros, not whatever the pool held).
    func clearProductPaddingF4(_ m: UnsafeMutablePointer<Float>) {
        let o = outChannels, co = outputChannelStride
        guard co > o else { return }
        for row in 0..<36 * tilesPerTask { (m + row * co + o).initialize(repeating: 0, count: co - o) }
    }

    /// One task of F(4×4): V for every group of 8 input channels, 36 GEMMs M = V·U, the output
    /// planes group by group.
    func runTaskF4(
        images: Range<Int>, _ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ s: Scratch
    ) {
        let g = geometry, c = g.channels, o = outChannels, perImage = tilesY * tilesX
        let ci = inputChannelStride, co = outputChannelStride, tiles = images.count * perImage
        for (j, image) in images.enumerated() {
            for group in stride(from: 0, to: c, by: 8) {
                interleaveInput(x + (image * c + group) * g.height * g.width, lanes: min(8, c - group), s)
                transformInputF4(s, into: s.v + j * perImage * ci + group, matrixStride: tilesPerTask * ci, tileStride: ci)
            }
        }
        for xi in 0..<36 {
            let problem = SGEMMKernel.Problem(
                m: tiles, n: o, k: c, transposeA: false, transposeB: false, alpha: 1, beta: 0,
                a: UnsafePointer(s.v + xi * tilesPerTask * ci), b: u + xi * c * o, c: s.m + xi * tilesPerTask * co,
                lda: ci, ldb: o, ldc: co)
            SGEMMKernel.run(problem, scratch: s.gemm)
        }
        let outPlane = g.outHeight * g.outWidth
        for (j, image) in images.enumerated() {
            for group in stride(from: 0, to: o, by: 8) {
                transformOutputF4(UnsafePointer(s.m + j * perImage * co + group), matrixStride: tilesPerTask * co, tileStride: co, s)
                deinterleaveOutput(s, lanes: min(8, o - group), into: y + (image * o + group) * outPlane)
            }
        }
    }

    /// U = G·g·Gᵀ for output channels `rows` and every input channel: matrix ξ of the pair (oc, ic)
    /// at u[(ξ·c + ic)·o + oc], 8 output channels per vector. Filter (oc, ic) is w[oc][ic] ([out, in,
    /// 3, 3]), or with `flipped`, w[ic][oc] rotated by 180° (the backward-data filters).
    static func transformFiltersF4(
        _ w: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int, flipped: Bool, into u: UnsafeMutablePointer<Float>,
        rows: Range<Int>
    ) {
        withUnsafeTemporaryAllocation(of: FloatLanes.self, capacity: 18) { columns in
            var first = rows.lowerBound
            while first < rows.upperBound {
                let lanes = min(FloatLanes.scalarCount, rows.upperBound - first)
                for ic in 0..<c {
                    func tap(_ t: Int) -> FloatLanes {
                        var v = FloatLanes()
                        for l in 0..<lanes {
                            let oc = first + l
                            v[l] = flipped ? w[(ic * o + oc) * 9 + 8 - t] : w[(oc * c + ic) * 9 + t]
                        }
                        return v
                    }
                    // G applied to each column j of g: columns[6j + i] = (G·g)[i][j].
                    for j in 0..<3 {
                        let v = filterCombinations(tap(j), tap(3 + j), tap(6 + j))
                        (columns[6 * j], columns[6 * j + 1], columns[6 * j + 2]) = (v.0, v.1, v.2)
                        (columns[6 * j + 3], columns[6 * j + 4], columns[6 * j + 5]) = (v.3, v.4, v.5)
                    }
                    // Row i of (G·g)·Gᵀ is G applied to row i of G·g.
                    for i in 0..<6 {
                        let v = filterCombinations(columns[i], columns[6 + i], columns[12 + i])
                        let target = u + (6 * i * c + ic) * o + first, step = c * o
                        func store(_ value: FloatLanes, _ k: Int) {
                            if lanes == FloatLanes.scalarCount {
                                storeLanes(value, target, k * step)
                            } else {
                                for l in 0..<lanes { target[k * step + l] = value[l] }
                            }
                        }
                        store(v.0, 0)
                        store(v.1, 1)
                        store(v.2, 2)
                        store(v.3, 3)
                        store(v.4, 4)
                        store(v.5, 5)
                    }
                }
                first += lanes
            }
        }
    }

    /// G·(a, b, c), lane by lane.
    @inline(__always)
    private static func filterCombinations(
        _ a: FloatLanes, _ b: FloatLanes, _ c: FloatLanes
    ) -> (FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes) {
        let sixth: Float = 1 / 6, quarterOfA = a * 0.25, outer = (a + c) * -sixth, inner = b * sixth
        let even = a * (1 / 24 as Float) + c * sixth, odd = b * (1 / 12 as Float)
        return (quarterOfA, outer - inner, outer + inner, even + odd, even - odd, c)
    }

    /// Bᵀ·(d0 … d5), lane by lane.
    @inline(__always)
    private static func inputCombinations(
        _ d0: FloatLanes, _ d1: FloatLanes, _ d2: FloatLanes, _ d3: FloatLanes, _ d4: FloatLanes, _ d5: FloatLanes
    ) -> (FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes) {
        let sum12 = d1 + d2, diff12 = d1 - d2, diff42 = d4 - d2, diff31 = d3 - d1
        return (
            4 * d0 - 5 * d2 + d4, (d3 + d4) - 4 * sum12, (d4 - d3) + 4 * diff12,
            diff42 + 2 * diff31, diff42 - 2 * diff31, 4 * d1 - 5 * d3 + d5
        )
    }

    /// Stores the six vectors of `v` at p, p + step, …, p + 5·step.
    @inline(__always)
    static func storeSix(
        _ v: (FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes, FloatLanes), _ p: UnsafeMutablePointer<Float>, step: Int
    ) {
        storeLanes(v.0, p, 0)
        storeLanes(v.1, p, step)
        storeLanes(v.2, p, 2 * step)
        storeLanes(v.3, p, 3 * step)
        storeLanes(v.4, p, 4 * step)
        storeLanes(v.5, p, 5 * step)
    }

    /// Aᵀ·(m0 … m5), lane by lane.
    @inline(__always)
    private static func outputCombinations(
        _ m0: FloatLanes, _ m1: FloatLanes, _ m2: FloatLanes, _ m3: FloatLanes, _ m4: FloatLanes, _ m5: FloatLanes
    ) -> (FloatLanes, FloatLanes, FloatLanes, FloatLanes) {
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
        return (m0 + a + c, b + 2 * d, a + 4 * c, b + 8 * d + m5)
    }

    /// Interleaves `lanes` consecutive input planes (the rest of the 8 lanes stay zero) into
    /// `s.padded`: pixel (row, column) of the zero-padded plane at (row·interleavedWidth + column)·8.
    func interleaveInput(_ planes: UnsafePointer<Float>, lanes: Int, _ s: Scratch) {
        let g = geometry, width = interleavedWidth, q = s.padded
        q.initialize(repeating: 0, count: paddedHeight * width * 8)
        let rows = min(g.height, paddedHeight - g.padY), columns = min(g.width, width - g.padX)
        for lane in 0..<lanes {
            let plane = planes + lane * g.height * g.width
            for sy in 0..<rows {
                let source = plane + sy * g.width, target = q + ((sy + g.padY) * width + g.padX) * 8 + lane
                for x in 0..<columns { target[8 * x] = source[x] }
            }
        }
    }

    /// V of every tile of the interleaved plane in `s.padded`: tile t's matrix ξ at
    /// `target + ξ·matrixStride + t·tileStride`, 8 channels per vector.
    func transformInputF4(_ s: Scratch, into target: UnsafeMutablePointer<Float>, matrixStride: Int, tileStride: Int) {
        let width = interleavedWidth, rows = s.rows
        for ty in 0..<tilesY {
            for tx in 0..<tilesX {
                let d = UnsafePointer(s.padded + (4 * ty * width + 4 * tx) * 8)
                // Bᵀ·d column by column into rows[i][k] …
                for k in 0..<6 {
                    let pixel = { (i: Int) in loadLanes(d, (i * width + k) * 8) }
                    let v = Self.inputCombinations(pixel(0), pixel(1), pixel(2), pixel(3), pixel(4), pixel(5))
                    Self.storeSix(v, rows + k * 8, step: 6 * 8)
                }
                // … then ·B row by row into V.
                let tile = target + (ty * tilesX + tx) * tileStride
                for i in 0..<6 {
                    let row = { (k: Int) in loadLanes(rows, (6 * i + k) * 8) }
                    let v = Self.inputCombinations(row(0), row(1), row(2), row(3), row(4), row(5))
                    Self.storeSix(v, tile + 6 * i * matrixStride, step: matrixStride)
                }
            }
        }
    }

    /// Aᵀ·M·A of every tile of one image for 8 output channels (tile t's matrix ξ at
    /// `source + ξ·matrixStride + t·tileStride`) into `s.out`, interleaved like the input: output
    /// pixel (row, column) at (row·4·tilesX + column)·8.
    private func transformOutputF4(_ source: UnsafePointer<Float>, matrixStride: Int, tileStride: Int, _ s: Scratch) {
        let rows = s.rows, width = 4 * tilesX
        for ty in 0..<tilesY {
            for tx in 0..<tilesX {
                let tile = source + (ty * tilesX + tx) * tileStride
                // Aᵀ·M column by column into rows[a][j] …
                for j in 0..<6 {
                    let m = { (i: Int) in loadLanes(tile, (6 * i + j) * matrixStride) }
                    let t = Self.outputCombinations(m(0), m(1), m(2), m(3), m(4), m(5))
                    storeLanes(t.0, rows, j * 8)
                    storeLanes(t.1, rows, (6 + j) * 8)
                    storeLanes(t.2, rows, (12 + j) * 8)
                    storeLanes(t.3, rows, (18 + j) * 8)
                }
                // … then ·A row by row into the output pixels.
                for a in 0..<4 {
                    let row = { (j: Int) in loadLanes(rows, (6 * a + j) * 8) }
                    let y = Self.outputCombinations(row(0), row(1), row(2), row(3), row(4), row(5))
                    let pixels = s.out + ((4 * ty + a) * width + 4 * tx) * 8
                    storeLanes(y.0, pixels, 0)
                    storeLanes(y.1, pixels, 8)
                    storeLanes(y.2, pixels, 16)
                    storeLanes(y.3, pixels, 24)
                }
            }
        }
    }

    /// Writes lanes 0..<lanes of the interleaved output in `s.out` to that many consecutive output
    /// planes, dropping the rows and columns past the output's edge.
    private func deinterleaveOutput(_ s: Scratch, lanes: Int, into planes: UnsafeMutablePointer<Float>) {
        let g = geometry, width = 4 * tilesX
        for lane in 0..<lanes {
            let plane = planes + lane * g.outHeight * g.outWidth
            for row in 0..<g.outHeight {
                let source = UnsafePointer(s.out + row * width * 8 + lane), target = plane + row * g.outWidth
                for x in 0..<g.outWidth { target[x] = source[8 * x] }
            }
        }
    }
}
