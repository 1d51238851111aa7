import Dispatch
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The packed SGEMM core of the CPU backend (GotoBLAS/BLIS structure).
///
/// Loops, outermost first, for one matrix product C = alpha·op(A)·op(B) + beta·C:
/// - jc over column blocks of `nc` columns of C,
/// - pc over depth blocks of `kc`: op(B)[pc.., jc..] is packed into 16-column micro-panels,
/// - ic over row blocks of `mc`: alpha·op(A)[ic.., pc..] is packed into 6-row micro-panels,
/// - jr over the 16-column micro-panels (one stays in L1 while ir runs),
/// - ir over the 6-row micro-panels: the 6×16 micro-kernel keeps 6 SIMD16 accumulators
///   (12 of the 16 AVX2 registers) and does one FMA per accumulator per depth step.
/// Packing absorbs the transposes and zero-pads the edges, so the micro-kernel never branches;
/// partial tiles are written back through a small stack tile.
enum SGEMMKernel {
    static let mr = 6
    static let nr = 16
    /// Largest depth block. Long depth blocks mean fewer passes over C, which on this class of
    /// CPU (measured on a Zen 3 EPYC) matters more than keeping the B micro-panel in L1.
    static let kcBlock = 1024
    /// Rows of op(A) packed at a time (a multiple of mr).
    static let mcBlock = 192
    /// Columns of op(B) packed at a time (a multiple of nr).
    static let ncBlock = 1024

    /// Depth block for a depth of k: at most kcBlock, the blocks balanced (a multiple of 8).
    static func depthBlock(_ k: Int) -> Int {
        let blocks = (k + kcBlock - 1) / kcBlock
        return min(kcBlock, roundUp((k + blocks - 1) / max(blocks, 1), 8))
    }

    /// One matrix product on raw pointers. `a`, `b`, `c` point at this batch's matrices.
    struct Problem {
        var m: Int
        var n: Int
        var k: Int
        var transposeA: Bool
        var transposeB: Bool
        var alpha: Float
        var beta: Float
        var a: UnsafePointer<Float>
        var b: UnsafePointer<Float>
        var c: UnsafeMutablePointer<Float>
        /// Leading dimensions (row lengths) as stored.
        var lda: Int
        var ldb: Int
        var ldc: Int
    }

    /// Per-thread packing buffers, 64-byte aligned, sized for the problem at hand. They come from
    /// the CPU backend's memory pool, so the pages of large ones stay mapped from call to call.
    final class Scratch {
        let packedA: UnsafeMutablePointer<Float>
        let packedB: UnsafeMutablePointer<Float>
        private let capacities: (a: Int, b: Int)

        init(aCount: Int, bCount: Int) {
            let a = Scratch.allocate(aCount), b = Scratch.allocate(bCount)
            (packedA, packedB) = (a.pointer, b.pointer)
            capacities = (a.capacity, b.capacity)
        }

        deinit {
            CPUMemoryPool.shared.release(UnsafeMutableRawPointer(packedA), capacity: capacities.a)
            CPUMemoryPool.shared.release(UnsafeMutableRawPointer(packedB), capacity: capacities.b)
        }

        private static func allocate(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
            let bytes = max(count, 16) * 4
            guard let (raw, capacity) = CPUMemoryPool.shared.allocate(bytes) else {
                fatalError("SGEMM: cannot allocate \(bytes) bytes of scratch")
            }
            return (raw.bindMemory(to: Float.self, capacity: capacity / 4), capacity)
        }

        /// Buffer sizes (in floats) that the blocked loops need for an m×n×k product.
        static func sizes(m: Int, n: Int, k: Int) -> (a: Int, b: Int) {
            let kc = min(k, depthBlock(k))
            let mc = roundUp(min(m, mcBlock), mr)
            let nc = roundUp(min(n, ncBlock), nr)
            return (mc * kc, kc * nc)
        }
    }

    @inline(__always) static func roundUp(_ x: Int, _ to: Int) -> Int { (x + to - 1) / to * to }

    // MARK: driver

    /// Runs the blocked loops for one product (one thread).
    static func run(_ p: Problem, scratch: Scratch) {
        if p.m == 0 || p.n == 0 { return }
        if p.k == 0 || p.alpha == 0 {
            scale(p)
            return
        }
        let kcMax = depthBlock(p.k)
        var jc = 0
        while jc < p.n {
            let nc = min(ncBlock, p.n - jc)
            var pc = 0
            while pc < p.k {
                let kc = min(kcMax, p.k - pc)
                packB(p, row: pc, column: jc, depth: kc, width: nc, into: scratch.packedB)
                let first = pc == 0
                var ic = 0
                while ic < p.m {
                    let mc = min(mcBlock, p.m - ic)
                    packA(p, row: ic, column: pc, height: mc, depth: kc, into: scratch.packedA)
                    macroKernel(
                        p, packedA: scratch.packedA, packedB: scratch.packedB,
                        row: ic, column: jc, height: mc, width: nc, depth: kc, first: first)
                    ic += mc
                }
                pc += kc
            }
            jc += nc
        }
    }

    /// C = beta·C (k = 0 or alpha = 0); beta = 0 writes zeros whatever C held.
    static func scale(_ p: Problem) {
        for i in 0..<p.m {
            let row = p.c + i * p.ldc
            if p.beta == 0 {
                row.update(repeating: 0, count: p.n)
            } else if p.beta != 1 {
                for j in 0..<p.n { row[j] *= p.beta }
            }
        }
    }

    // MARK: packing

    /// Packs alpha·op(A)[row..<row+height, column..<column+depth] as 6-row micro-panels:
    /// panel r holds depth steps of 6 consecutive values; rows past the edge are zero.
    static func packA(
        _ p: Problem, row: Int, column: Int, height: Int, depth: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let alpha = p.alpha
        var r = 0
        var dst = out
        while r < height {
            let rows = min(mr, height - r)
            if p.transposeA {
                // A stored k×m: op(A)[i][q] = A[q·lda + i]; six consecutive i are contiguous.
                var src = p.a + column * p.lda + row + r
                if rows == mr {
                    for _ in 0..<depth {
                        dst[0] = alpha * src[0]
                        dst[1] = alpha * src[1]
                        dst[2] = alpha * src[2]
                        dst[3] = alpha * src[3]
                        dst[4] = alpha * src[4]
                        dst[5] = alpha * src[5]
                        dst += mr
                        src += p.lda
                    }
                } else {
                    for _ in 0..<depth {
                        for i in 0..<mr { dst[i] = i < rows ? alpha * src[i] : 0 }
                        dst += mr
                        src += p.lda
                    }
                }
            } else {
                // A stored m×k: op(A)[i][q] = A[i·lda + q]; read six rows side by side.
                let base = p.a + (row + r) * p.lda + column
                if rows == mr {
                    let s0 = base, s1 = base + p.lda, s2 = base + 2 * p.lda
                    let s3 = base + 3 * p.lda, s4 = base + 4 * p.lda, s5 = base + 5 * p.lda
                    for q in 0..<depth {
                        dst[0] = alpha * s0[q]
                        dst[1] = alpha * s1[q]
                        dst[2] = alpha * s2[q]
                        dst[3] = alpha * s3[q]
                        dst[4] = alpha * s4[q]
                        dst[5] = alpha * s5[q]
                        dst += mr
                    }
                } else {
                    for q in 0..<depth {
                        for i in 0..<mr { dst[i] = i < rows ? alpha * base[i * p.lda + q] : 0 }
                        dst += mr
                    }
                }
            }
            r += mr
        }
    }

    /// Packs op(B)[row..<row+depth, column..<column+width] as 16-column micro-panels:
    /// panel j holds depth steps of 16 consecutive values; columns past the edge are zero.
    static func packB(
        _ p: Problem, row: Int, column: Int, depth: Int, width: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        var j = 0
        var dst = out
        while j < width {
            let cols = min(nr, width - j)
            if p.transposeB {
                // B stored n×k: op(B)[q][c] = B[c·ldb + q]; gather 16 rows, contiguous in q.
                let base = p.b + (column + j) * p.ldb + row
                if cols == nr {
                    var q = 0
                    // Four depth steps at a time: each source row is read as a SIMD4.
                    while q + 4 <= depth {
                        for c in 0..<nr {
                            let v = UnsafeRawPointer(base + c * p.ldb + q).loadUnaligned(as: SIMD4<Float>.self)
                            dst[c] = v[0]
                            dst[nr + c] = v[1]
                            dst[2 * nr + c] = v[2]
                            dst[3 * nr + c] = v[3]
                        }
                        dst += 4 * nr
                        q += 4
                    }
                    while q < depth {
                        for c in 0..<nr { dst[c] = base[c * p.ldb + q] }
                        dst += nr
                        q += 1
                    }
                } else {
                    for q in 0..<depth {
                        for c in 0..<nr { dst[c] = c < cols ? base[c * p.ldb + q] : 0 }
                        dst += nr
                    }
                }
            } else {
                // B stored k×n: op(B)[q][c] = B[q·ldb + c]; 16 consecutive c are contiguous.
                var src = p.b + row * p.ldb + column + j
                if cols == nr {
                    for _ in 0..<depth {
                        let v = UnsafeRawPointer(src).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(dst).storeBytes(of: v, as: SIMD16<Float>.self)
                        dst += nr
                        src += p.ldb
                    }
                } else {
                    for _ in 0..<depth {
                        for c in 0..<nr { dst[c] = c < cols ? src[c] : 0 }
                        dst += nr
                        src += p.ldb
                    }
                }
            }
            j += nr
        }
    }

    // MARK: macro- and micro-kernel

    static func macroKernel(
        _ p: Problem, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
        row: Int, column: Int, height: Int, width: Int, depth: Int, first: Bool
    ) {
        // On the first depth block C = AB + beta·C (beta = 0: C is not read); afterwards C += AB.
        let beta: Float = first ? p.beta : 1
        var jr = 0
        while jr < width {
            let cols = min(nr, width - jr)
            let bPanel = UnsafePointer(packedB + jr * depth)
            var ir = 0
            while ir < height {
                let rows = min(mr, height - ir)
                let aPanel = UnsafePointer(packedA + ir * depth)
                let cTile = p.c + (row + ir) * p.ldc + column + jr
                if rows == mr && cols == nr {
                    microKernel(depth: depth, a: aPanel, b: bPanel, c: cTile, ldc: p.ldc, beta: beta, tile: nil)
                } else {
                    edgeKernel(
                        depth: depth, a: aPanel, b: bPanel, c: cTile, ldc: p.ldc, beta: beta,
                        rows: rows, cols: cols)
                }
                ir += mr
            }
            jr += nr
        }
    }

    typealias V = SIMD16<Float>

    /// The 6×16 product of one A micro-panel and one B micro-panel, merged into C: full tiles
    /// straight into C (`tile` nil), partial ones into the 6×16 `tile` for the caller to copy.
    /// Six SIMD16 accumulators are twelve AVX2 registers; keeping this loop in its own
    /// non-inlined function lets LLVM allocate them without spills.
    @inline(never)
    static func microKernel(
        depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float,
        tile: UnsafeMutablePointer<Float>?
    ) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var a = a
        // Packed B rows are 64-byte aligned (the buffer is, and each row is 64 bytes).
        var b = UnsafeRawPointer(b)
        for _ in 0..<depth {
            let bv = b.load(as: V.self)
            c0.addProduct(a[0], bv)
            c1.addProduct(a[1], bv)
            c2.addProduct(a[2], bv)
            c3.addProduct(a[3], bv)
            c4.addProduct(a[4], bv)
            c5.addProduct(a[5], bv)
            a += mr
            b += nr * 4
        }
        if let tile {
            let raw = UnsafeMutableRawPointer(tile)
            raw.storeBytes(of: c0, as: V.self)
            raw.storeBytes(of: c1, toByteOffset: 64, as: V.self)
            raw.storeBytes(of: c2, toByteOffset: 128, as: V.self)
            raw.storeBytes(of: c3, toByteOffset: 192, as: V.self)
            raw.storeBytes(of: c4, toByteOffset: 256, as: V.self)
            raw.storeBytes(of: c5, toByteOffset: 320, as: V.self)
            return
        }
        merge(c0, into: c, beta: beta)
        merge(c1, into: c + ldc, beta: beta)
        merge(c2, into: c + 2 * ldc, beta: beta)
        merge(c3, into: c + 3 * ldc, beta: beta)
        merge(c4, into: c + 4 * ldc, beta: beta)
        merge(c5, into: c + 5 * ldc, beta: beta)
    }

    @inline(__always)
    static func merge(_ value: V, into row: UnsafeMutablePointer<Float>, beta: Float) {
        let raw = UnsafeMutableRawPointer(row)
        if beta == 0 {
            raw.storeBytes(of: value, as: V.self)
        } else if beta == 1 {
            raw.storeBytes(of: value + raw.loadUnaligned(as: V.self), as: V.self)
        } else {
            raw.storeBytes(of: value.addingProduct(beta, raw.loadUnaligned(as: V.self)), as: V.self)
        }
    }

    /// A partial tile: the full 6×16 product goes to a stack tile, then the valid part into C.
    static func edgeKernel(
        depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, rows: Int, cols: Int
    ) {
        withUnsafeTemporaryAllocation(of: V.self, capacity: mr) { buffer in
            let tile = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: Float.self)
            microKernel(depth: depth, a: a, b: b, c: c, ldc: ldc, beta: beta, tile: tile)
            for i in 0..<rows {
                let out = c + i * ldc
                let row = tile + i * nr
                if beta == 0 {
                    for j in 0..<cols { out[j] = row[j] }
                } else {
                    for j in 0..<cols { out[j] = row[j] + beta * out[j] }
                }
            }
        }
    }

    // MARK: batches and threads

    /// Runs a batched product on `threads` threads: whole products per thread when the batch is
    /// large enough, otherwise each product's C is split into row or column bands.
    static func runBatched(problems: [Problem], threads: Int) {
        let total = problems.reduce(0.0) { $0 + 2 * Double($1.m) * Double($1.n) * Double($1.k) }
        // Below ~2 MFLOP the fan-out costs more than it saves.
        let workers = total < 2e6 ? 1 : max(1, threads)
        var tasks: [Problem] = []
        if problems.count >= workers {
            tasks = problems
        } else {
            let parts = (workers + problems.count - 1) / problems.count
            for p in problems { tasks += split(p, parts: parts) }
        }
        if workers == 1 || tasks.count == 1 {
            let need = tasks.reduce((a: 0, b: 0)) { acc, p in
                let s = Scratch.sizes(m: p.m, n: p.n, k: p.k)
                return (max(acc.a, s.a), max(acc.b, s.b))
            }
            let scratch = Scratch(aCount: need.a, bCount: need.b)
            for t in tasks { run(t, scratch: scratch) }
            return
        }
        let count = min(workers, tasks.count)
        tasks.withUnsafeBufferPointer { taskList in
            nonisolated(unsafe) let list = taskList
            DispatchQueue.concurrentPerform(iterations: count) { w in
                var need = (a: 0, b: 0)
                for t in stride(from: w, to: list.count, by: count) {
                    let s = Scratch.sizes(m: list[t].m, n: list[t].n, k: list[t].k)
                    need = (max(need.a, s.a), max(need.b, s.b))
                }
                let scratch = Scratch(aCount: need.a, bCount: need.b)
                for t in stride(from: w, to: list.count, by: count) { run(list[t], scratch: scratch) }
            }
        }
    }

    /// Splits one product into `parts` bands of C (columns when C is wider than tall, else rows),
    /// at micro-tile boundaries. Each band reads the operand panels it needs and writes only its C.
    static func split(_ p: Problem, parts: Int) -> [Problem] {
        if parts <= 1 { return [p] }
        var out: [Problem] = []
        if p.n >= p.m {
            let tiles = (p.n + nr - 1) / nr
            let count = min(parts, tiles)
            for i in 0..<count {
                let start = tiles * i / count * nr, end = min(p.n, tiles * (i + 1) / count * nr)
                if end <= start { continue }
                var q = p
                q.n = end - start
                q.b = p.transposeB ? p.b + start * p.ldb : p.b + start
                q.c = p.c + start
                out.append(q)
            }
        } else {
            let tiles = (p.m + mr - 1) / mr
            let count = min(parts, tiles)
            for i in 0..<count {
                let start = tiles * i / count * mr, end = min(p.m, tiles * (i + 1) / count * mr)
                if end <= start { continue }
                var q = p
                q.m = end - start
                q.a = p.transposeA ? p.a + start : p.a + start * p.lda
                q.c = p.c + start * p.ldc
                out.append(q)
            }
        }
        return out
    }
}
