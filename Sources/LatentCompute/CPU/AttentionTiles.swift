#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small in-cache matrix products and a vector exp, shared by the CPU attention and codebook kernels.
///
/// `product` computes C[m × 16·panels] (+)= A[m × k] · B[k × 16·panels] where
/// - A is read with arbitrary strides, a(i, p) = A[i·aRow + p·aColumn], so a block and its
///   transpose (aRow 1, aColumn = leading dimension) are both operands without copies;
/// - B rows are read as 16-float vectors at B + p·ldb + 16·panel (the caller pads B's columns to a
///   multiple of 16 with zeros, or passes a matrix whose width already is one);
/// - C has row stride ldc and is written in whole 16-float vectors (its padding columns too).
/// The 6×16 micro-kernel keeps six SIMD16 accumulators (twelve AVX2 registers), like SGEMMKernel.
enum AttentionTile {
    typealias V = SIMD16<Float>
    static let rowsPerTile = 6
    /// 0, 1, …, 15: lane numbers, to mask the lanes of a partial vector.
    static let laneIndex = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// 64-byte aligned Float scratch, freed on deinit.
    final class Scratch {
        let base: UnsafeMutablePointer<Float>
        let count: Int

        init(_ count: Int) {
            let bytes = (max(count, 16) * 4 + 63) / 64 * 64
            guard let raw = aligned_alloc(64, bytes) else { fatalError("attention: cannot allocate \(bytes) bytes of scratch") }
            base = raw.bindMemory(to: Float.self, capacity: bytes / 4)
            self.count = count
        }

        deinit { free(base) }
    }

    @inline(__always) static func roundUp16(_ x: Int) -> Int { (x + 15) / 16 * 16 }

    /// C (+)= A·B over `panels` 16-column panels (see the type's comment).
    static func product(
        m: Int, panels: Int, k: Int,
        a: UnsafePointer<Float>, aRow: Int, aColumn: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        if m <= 0 || panels <= 0 { return }
        for j in 0..<panels {
            var r = 0
            while r < m {
                microKernel(
                    rows: min(rowsPerTile, m - r), k: k, a: a + r * aRow, aRow: aRow, aColumn: aColumn,
                    b: b + 16 * j, ldb: ldb, c: c + r * ldc + 16 * j, ldc: ldc, accumulate: accumulate)
                r += rowsPerTile
            }
        }
    }

    /// Up to six rows × 16 columns. Rows past `rows` repeat the last valid row (valid memory,
    /// results discarded), so the loop never branches.
    @inline(never)
    static func microKernel(
        rows: Int, k: Int, a: UnsafePointer<Float>, aRow: Int, aColumn: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        let last = rows - 1
        var a0 = a, a1 = a + min(1, last) * aRow, a2 = a + min(2, last) * aRow
        var a3 = a + min(3, last) * aRow, a4 = a + min(4, last) * aRow, a5 = a + min(5, last) * aRow
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var bp = UnsafeRawPointer(b)
        let bStep = ldb * 4
        for _ in 0..<k {
            let bv = bp.loadUnaligned(as: V.self)
            c0.addProduct(a0.pointee, bv)
            c1.addProduct(a1.pointee, bv)
            c2.addProduct(a2.pointee, bv)
            c3.addProduct(a3.pointee, bv)
            c4.addProduct(a4.pointee, bv)
            c5.addProduct(a5.pointee, bv)
            a0 += aColumn
            a1 += aColumn
            a2 += aColumn
            a3 += aColumn
            a4 += aColumn
            a5 += aColumn
            bp += bStep
        }
        store(c0, c, accumulate)
        if rows > 1 { store(c1, c + ldc, accumulate) }
        if rows > 2 { store(c2, c + 2 * ldc, accumulate) }
        if rows > 3 { store(c3, c + 3 * ldc, accumulate) }
        if rows > 4 { store(c4, c + 4 * ldc, accumulate) }
        if rows > 5 { store(c5, c + 5 * ldc, accumulate) }
    }

    @inline(__always)
    static func store(_ value: V, _ row: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(row)
        raw.storeBytes(of: accumulate ? value + raw.loadUnaligned(as: V.self) : value, as: V.self)
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Up to 16 floats from p (count ≤ 16); the remaining lanes hold `fill`.
    @inline(__always) static func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> V {
        if count >= 16 { return load(p) }
        var v = V(repeating: fill)
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    /// e^x to about 1 ulp for x in [−87, 88]; 0 below (−∞ included), +∞-safe clamp above, NaN stays NaN.
    /// Range reduction x = n·ln2 + r with |r| ≤ ln2/2, degree-7 Taylor polynomial, 2^n from bits.
    @inline(__always) static func exp(_ x: V) -> V {
        let t = x.replacing(with: 88, where: x .> 88).replacing(with: -87, where: x .< -87)
        let magic: Float = 12_582_912  // 1.5·2^23: adding it rounds to an integer held in the low bits
        let shifted = t * 1.442_695_04 + magic
        let n = shifted - magic
        var r = t.addingProduct(n, V(repeating: -0.693_145_751_953_125))
        r = r.addingProduct(n, V(repeating: -1.428_606_765_330_187e-6))
        var p = V(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
        return (p * scale).replacing(with: 0, where: x .< -87)
    }

    /// Σ lanes of v (horizontal add).
    @inline(__always) static func sum(_ v: V) -> Float { v.sum() }
}
