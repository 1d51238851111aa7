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
}
