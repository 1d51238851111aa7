import Dispatch
import Foundation

/// Winograd F(2×2, 3×3) convolution on the CPU backend (Lavin & Gray 2016) for 3×3 windows with
/// stride 1, dilation 1 and padding ≤ 2: each 2×2 output tile costs 16 multiplies per (input,
/// output) channel pair instead of 36.
///
/// The filters are transformed once per call, U = G·g·Gᵀ (16 matrices [out × in]). Tasks of a few
/// consecutive images (fixed per worker, so results do not depend on scheduling) transform their
/// 4×4 input tiles, V = Bᵀ·d·B (16 matrices [in × tiles]), run 16 single-threaded SGEMMs M = U·V
/// and transform back, Y = Aᵀ·M·A. The backward-data pass of such a convolution is one too: the
/// output gradient convolved with the flipped, transposed filters at padding 2 − p.
///
/// Rounding: the transforms add up to 4 (input) and 9 (output) terms with weights ±1 and ±½, so
/// the result differs from the direct sum by a few Float32 ulps of the largest partial sums.
struct CPUWinograd {
    /// Fewer channels than this on either side: the 16 GEMMs get too thin for the transforms to
    /// pay (not measured below 8; the U-Net's only such 3×3 convolutions are its 1-channel input
    /// and output layers).
    static let minimumChannels = 8
    /// Tiles per task: the task's transformed tiles (16·in·tiles floats) stay in L2.
    static let targetTiles = 256
    /// `LATENT_CPU_WINOGRAD=0` turns the path off (to compare with im2col + GEMM in one binary).
    static let enabled: Bool = getenv("LATENT_CPU_WINOGRAD").map { String(cString: $0) != "0" } ?? true

    let geometry: ConvGeometry
    let outChannels: Int
    let tilesY: Int, tilesX: Int
    let imagesPerTask: Int, tasks: Int, workers: Int

    /// nil unless the window is 3×3, stride 1, dilation 1, padding 0…2 and both channel counts
    /// reach `minimumChannels`.
    init?(_ g: ConvGeometry, outChannels: Int, threads: Int) {
        guard Self.qualifies(g, outChannels: outChannels) else { return nil }
        geometry = g
        self.outChannels = outChannels
        tilesY = (g.outHeight + 1) / 2
        tilesX = (g.outWidth + 1) / 2
        let perImage = tilesY * tilesX
        let perThread = (g.batch + threads - 1) / threads
        imagesPerTask = max(1, min(Self.targetTiles / perImage, perThread))
        tasks = (g.batch + imagesPerTask - 1) / imagesPerTask
        workers = min(max(1, threads), tasks)
    }

    /// True when `g` has a 3×3 window, stride 1, dilation 1, padding 0…2, a non-empty output and
    /// both channel counts reach `minimumChannels` (the OpenCL Winograd path uses the same test).
    static func qualifies(_ g: ConvGeometry, outChannels: Int) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1 && g.dilationY == 1
            && g.dilationX == 1 && (0...2).contains(g.padY) && (0...2).contains(g.padX) && g.batch > 0
            && g.channels >= minimumChannels && outChannels >= minimumChannels && g.outHeight > 0 && g.outWidth > 0
    }

    /// The geometry of the backward-data pass of `g` (3×3, stride 1) as a forward convolution of the
    /// output gradient: `outChannels` inputs, padding 2 − p, producing the input's size.
    static func backwardGeometry(_ g: ConvGeometry, outChannels: Int) -> ConvGeometry {
        ConvGeometry(
            batch: g.batch, channels: outChannels, height: g.outHeight, width: g.outWidth, kernelHeight: 3,
            kernelWidth: 3, padding: (2 - g.padY, 2 - g.padX))
    }

    /// U [16][out][in] from filters [out, in, 3, 3]; with `flipped`, from filters [in, out, 3, 3]
    /// read transposed and rotated by 180° (the backward-data filters). The output channels are
    /// split among `workers` threads (each writes its own rows of U, so the result does not depend
    /// on the split); U comes from the memory pool.
    static func transformFilters(
        _ w: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int, flipped: Bool, workers: Int
    ) -> PooledFloats {
        let storage = PooledFloats(count: 16 * o * c)
        let u = storage.pointer
        let workers = max(1, min(workers, o))
        DispatchWorkers.run(workers) { worker in
            transformFilters(w, outChannels: o, inChannels: c, flipped: flipped, into: u, rows: o * worker / workers..<o * (worker + 1) / workers)
        }
        return storage
    }

    /// The rows `rows` (output channels) of U; see `transformFilters(_:outChannels:inChannels:flipped:workers:)`.
    private static func transformFilters(
        _ w: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int, flipped: Bool, into u: UnsafeMutablePointer<Float>,
        rows: Range<Int>
    ) {
        for oc in rows {
            for ic in 0..<c {
                let tap: (Int) -> Float = { t in flipped ? w[(ic * o + oc) * 9 + 8 - t] : w[(oc * c + ic) * 9 + t] }
                // G·g (4×3), then (G·g)·Gᵀ (4×4); G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. Row i of G·g
                // applies G's row i to g's columns; each such row r gives [r0, ½(r0+r1+r2), ½(r0−r1+r2), r2].
                for i in 0..<4 {
                    var r = (Float(0), Float(0), Float(0))
                    for j in 0..<3 {
                        let (a, b, e) = (tap(j), tap(3 + j), tap(6 + j))
                        let value: Float = i == 0 ? a : i == 1 ? 0.5 * (a + b + e) : i == 2 ? 0.5 * (a - b + e) : e
                        if j == 0 { r.0 = value } else if j == 1 { r.1 = value } else { r.2 = value }
                    }
                    let row = u + (i * 4 * o + oc) * c + ic, step = o * c
                    row[0] = r.0
                    row[step] = 0.5 * (r.0 + r.1 + r.2)
                    row[2 * step] = 0.5 * (r.0 - r.1 + r.2)
                    row[3 * step] = r.2
                }
            }
        }
    }

    /// y [batch, out, outH, outW] = the convolution of x [batch, in, H, W] with transformed filters u.
    func run(_ x: UnsafePointer<Float>, transformedFilters u: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let plan = self
        DispatchWorkers.run(workers) { w in
            let scratch = Scratch(plan)
            let first = plan.tasks * w / plan.workers, last = plan.tasks * (w + 1) / plan.workers
            for task in first..<last {
                let start = task * plan.imagesPerTask
                plan.runTask(images: start..<min(plan.geometry.batch, start + plan.imagesPerTask), x, u, y, scratch)
            }
        }
    }

    /// Per-worker buffers: transformed tiles V, products M, one zero-padded input plane, the four
    /// row combinations Bᵀ·d of a tile row, two output rows, and SGEMM packing. V and M (megabytes
    /// for the U-Net's 28×28 layers) come from the memory pool like the packing buffers.
    final class Scratch {
        private let vStorage: PooledFloats, mStorage: PooledFloats
        let v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>
        let padded: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
        /// 16 × 8 lanes for the last, partial group of tiles in a row.
        let tail: UnsafeMutablePointer<Float>
        let gemm: SGEMMKernel.Scratch

        init(_ plan: CPUWinograd) {
            let g = plan.geometry, tiles = plan.imagesPerTask * plan.tilesY * plan.tilesX
            let pw = plan.paddedWidth
            vStorage = PooledFloats(count: 16 * g.channels * tiles)
            mStorage = PooledFloats(count: 16 * plan.outChannels * tiles)
            (v, m) = (vStorage.pointer, mStorage.pointer)
            padded = .allocate(capacity: (2 * plan.tilesY + 2) * pw)
            rows = .allocate(capacity: 4 * pw)
            out = .allocate(capacity: 4 * plan.tilesX + 8)
            tail = .allocate(capacity: 16 * 8)
            let sizes = SGEMMKernel.Scratch.sizes(m: plan.outChannels, n: tiles, k: g.channels)
            gemm = SGEMMKernel.Scratch(aCount: sizes.a, bCount: sizes.b)
        }

        deinit {
            padded.deallocate()
            rows.deallocate()
            out.deallocate()
            tail.deallocate()
        }
    }

    /// Width of the zero-padded input plane: 2·tilesX + 2 columns, rounded up to 8 lanes.
    var paddedWidth: Int { (2 * tilesX + 2 + 7) / 8 * 8 }

    private func runTask(
        images: Range<Int>, _ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ s: Scratch
    ) {
        let g = geometry, c = g.channels, o = outChannels
        let perImage = tilesY * tilesX, tiles = images.count * perImage
        for (j, image) in images.enumerated() {
            for ic in 0..<c {
                transformInput(x + (image * c + ic) * g.height * g.width, s, into: s.v + ic * tiles + j * perImage, stride: c * tiles)
            }
        }
        for xi in 0..<16 {
            let problem = SGEMMKernel.Problem(
                m: o, n: tiles, k: c, transposeA: false, transposeB: false, alpha: 1, beta: 0,
                a: u + xi * o * c, b: UnsafePointer(s.v + xi * c * tiles), c: s.m + xi * o * tiles,
                lda: c, ldb: tiles, ldc: tiles)
            SGEMMKernel.run(problem, scratch: s.gemm)
        }
        let outPlane = g.outHeight * g.outWidth
        for (j, image) in images.enumerated() {
            for oc in 0..<o {
                transformOutput(
                    UnsafePointer(s.m + oc * tiles + j * perImage), stride: o * tiles, s,
                    into: y + (image * o + oc) * outPlane)
            }
        }
    }

    /// V[ξ][tile] (ξ-th matrix at `target + ξ·stride`) of one input plane: the plane is copied into
    /// a zero border once, then each tile row forms Bᵀ·d for the whole row with 8-lane vectors, and
    /// ·B per tile.
    private func transformInput(_ plane: UnsafePointer<Float>, _ s: Scratch, into target: UnsafeMutablePointer<Float>, stride: Int) {
        let g = geometry, pw = paddedWidth, ph = 2 * tilesY + 2
        s.padded.initialize(repeating: 0, count: ph * pw)
        for row in 0..<ph {
            let sy = row - g.padY
            guard sy >= 0, sy < g.height else { continue }
            let x0 = max(0, -g.padX), x1 = min(g.width, pw - g.padX)
            if x0 < x1 { convCopyShortRow(from: plane + sy * g.width + x0, to: s.padded + row * pw + g.padX + x0, count: x1 - x0) }
        }
        let r = s.rows
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
    private func transformOutput(_ source: UnsafePointer<Float>, stride: Int, _ s: Scratch, into plane: UnsafeMutablePointer<Float>) {
        let g = geometry, outW = g.outWidth
        let top = s.out, bottom = s.out + 2 * tilesX + 4
        for ty in 0..<tilesY {
            var tx = 0
            while tx < tilesX {
                let lanes = min(FloatLanes.scalarCount, tilesX - tx)
                var base = source + ty * tilesX + tx, step = stride
                if lanes < FloatLanes.scalarCount {
                    for xi in 0..<16 {
                        for l in 0..<FloatLanes.scalarCount { s.tail[xi * 8 + l] = l < lanes ? base[xi * stride + l] : 0 }
                    }
                    (base, step) = (UnsafePointer(s.tail), FloatLanes.scalarCount)
                }
                let at = { (xi: Int) in loadLanes(base + xi * step, 0) }
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
            let oy = 2 * ty
            convCopyShortRow(from: top, to: plane + oy * outW, count: outW)
            if oy + 1 < g.outHeight { convCopyShortRow(from: bottom, to: plane + (oy + 1) * outW, count: outW) }
        }
    }
}

/// Runs body(w) for w in 0..<count, on worker threads when count > 1.
enum DispatchWorkers {
    static func run(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            body(0)
            return
        }
        // Workers write disjoint images, so sharing the non-Sendable body is safe.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let shared = body
            DispatchQueue.concurrentPerform(iterations: count) { shared($0) }
        }
    }
}

extension CPUDevice {
    /// conv2d through Winograd F(2×2, 3×3) when `g` qualifies (`CPUWinograd.init`); false otherwise.
    func winogradConv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer, geometry g: ConvGeometry,
        outChannels: Int
    ) throws -> Bool {
        guard CPUWinograd.enabled, let plan = CPUWinograd(g, outChannels: outChannels, threads: threads) else { return false }
        let x = try winogradFloats(input, g.batch * g.channels * g.height * g.width, "conv2d input")
        let w = try winogradFloats(weight, outChannels * g.columnRows, "conv2d weight")
        let y = try winogradFloats(output, g.batch * outChannels * g.outHeight * g.outWidth, "conv2d output")
        let u = CPUWinograd.transformFilters(w, outChannels: outChannels, inChannels: g.channels, flipped: false, workers: threads)
        plan.run(x, transformedFilters: u.pointer, into: y)
        withExtendedLifetime(u) {}
        return true
    }

    /// The input gradient of a qualifying convolution: the output gradient convolved (Winograd) with
    /// the flipped, transposed filters at padding 2 − p; false when `g` does not qualify.
    func winogradConv2dBackwardInput(
        _ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws -> Bool {
        guard CPUWinograd.enabled, CPUWinograd(g, outChannels: outChannels, threads: threads) != nil,
            let plan = CPUWinograd(CPUWinograd.backwardGeometry(g, outChannels: outChannels), outChannels: g.channels, threads: threads)
        else { return false }
        let gy = try winogradFloats(gradOutput, g.batch * outChannels * g.outHeight * g.outWidth, "conv2d output gradient")
        let w = try winogradFloats(weight, outChannels * g.columnRows, "conv2d weight")
        let gx = try winogradFloats(gradInput, g.batch * g.channels * g.height * g.width, "conv2d input gradient")
        let u = CPUWinograd.transformFilters(w, outChannels: g.channels, inChannels: outChannels, flipped: true, workers: threads)
        plan.run(gy, transformedFilters: u.pointer, into: gx)
        withExtendedLifetime(u) {}
        return true
    }

    private func winogradFloats(_ buffer: any DeviceBuffer, _ count: Int, _ what: String) throws -> UnsafeMutablePointer<Float> {
        let b = try cpu(buffer)
        guard count * 4 <= b.byteCount else {
            throw ComputeError.invalidArgument("\(what): \(count) floats needed, the buffer holds \(b.byteCount / 4)")
        }
        return b.floats
    }
}
