/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3" (SC 2011): ten rounds of two 32×32→64-bit multiplies over a
/// 128-bit counter under a 64-bit key, with a Weyl-sequence key schedule.
///
/// `Kernels/random.cl` implements the same function in OpenCL C; `PhiloxTests` pins it to the
/// published known-answer vectors.
public enum Philox4x32 {
    public static let multiplier0: UInt32 = 0xD251_1F53
    public static let multiplier1: UInt32 = 0xCD9E_8D57
    public static let weyl0: UInt32 = 0x9E37_79B9
    public static let weyl1: UInt32 = 0xBB67_AE85

    /// The four output words for `counter` under `key`.
    @inline(__always)
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3]
        var k0 = key[0], k1 = key[1]
        for _ in 0..<10 {
            let p0 = UInt64(multiplier0) &* UInt64(x0)
            let p1 = UInt64(multiplier1) &* UInt64(x2)
            x0 = UInt32(truncatingIfNeeded: p1 >> 32) ^ x1 ^ k0
            x1 = UInt32(truncatingIfNeeded: p1)
            x2 = UInt32(truncatingIfNeeded: p0 >> 32) ^ x3 ^ k1
            x3 = UInt32(truncatingIfNeeded: p0)
            k0 &+= weyl0
            k1 &+= weyl1
        }
        return SIMD4(x0, x1, x2, x3)
    }

    /// The words of block number `block` for a 64-bit `seed`: counter (block_lo, block_hi, 0, 0),
    /// key (seed_lo, seed_hi). This is the only way the noise kernels call the generator.
    @inline(__always)
    public static func words(seed: UInt64, block: UInt64) -> SIMD4<UInt32> {
        Self.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32), 0, 0),
            key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// The words of the 8 consecutive blocks `firstBlock` … `firstBlock + 7` for `seed`, in element
    /// order: `out[4·j + lane]` is word `lane` of block `firstBlock + j`, the same values as `words`.
    /// The rounds run on 8-lane vectors (one block per lane), so the 32×32→64-bit products vectorise.
    @inline(__always)
    public static func words8(seed: UInt64, firstBlock: UInt64, into out: UnsafeMutablePointer<UInt32>) {
        let lanes = SIMD8<UInt64>(0, 1, 2, 3, 4, 5, 6, 7) &+ firstBlock
        var x0 = SIMD8<UInt32>(truncatingIfNeeded: lanes), x1 = SIMD8<UInt32>(truncatingIfNeeded: lanes &>> 32)
        var x2 = SIMD8<UInt32>(), x3 = SIMD8<UInt32>()
        var k0 = UInt32(truncatingIfNeeded: seed), k1 = UInt32(truncatingIfNeeded: seed >> 32)
        let m0 = SIMD8<UInt64>(repeating: UInt64(multiplier0)), m1 = SIMD8<UInt64>(repeating: UInt64(multiplier1))
        for _ in 0..<10 {
            let p0 = m0 &* SIMD8<UInt64>(truncatingIfNeeded: x0)
            let p1 = m1 &* SIMD8<UInt64>(truncatingIfNeeded: x2)
            x0 = SIMD8<UInt32>(truncatingIfNeeded: p1 &>> 32) ^ x1 ^ k0
            x1 = SIMD8<UInt32>(truncatingIfNeeded: p1)
            x2 = SIMD8<UInt32>(truncatingIfNeeded: p0 &>> 32) ^ x3 ^ k1
            x3 = SIMD8<UInt32>(truncatingIfNeeded: p0)
            k0 &+= weyl0
            k1 &+= weyl1
        }
        for j in 0..<8 {
            out[4 * j] = x0[j]
            out[4 * j + 1] = x1[j]
            out[4 * j + 2] = x2[j]
            out[4 * j + 3] = x3[j]
        }
    }
}
