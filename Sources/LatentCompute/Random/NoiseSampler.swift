/// The element-to-noise map shared by every backend (`Kernels/random.cl` mirrors it operation by
/// operation, so results are bit-identical).
///
/// Element e (= offset + i, 64-bit, wrapping) uses Philox block e / 4 and lane e % 4; the block's
/// words are (x0, x1, x2, x3) = Philox4x32-10(counter = (block_lo, block_hi, 0, 0), key = (seed_lo, seed_hi)).
/// - uniform: (x[lane] >> 8) · 2⁻²⁴, in [0, 1).
/// - normal: Box–Muller on the pair p = lane / 2: u1 = ((x[2p] >> 8) + 1) · 2⁻²⁴ ∈ (0, 1],
///   u2 = (x[2p+1] >> 8) · 2⁻²⁴, r = √(−2 ln u1), z = r·cos 2πu2 for even lanes and r·sin 2πu2 for odd
///   lanes; the value is mean + std·z, fused. ln, √ and sin/cos are `NoiseMath`'s polynomials.
public enum NoiseSampler {
    /// The uniform value of lane `lane` of a block's words.
    @inline(__always)
    public static func uniform(_ words: SIMD4<UInt32>, lane: Int) -> Float {
        Float(words[lane] >> 8) * 0x1p-24
    }

    /// The standard normal value of lane `lane` of a block's words.
    @inline(__always)
    public static func standardNormal(_ words: SIMD4<UInt32>, lane: Int) -> Float {
        let pair = lane >> 1
        let u1 = Float((words[2 * pair] >> 8) + 1) * 0x1p-24
        let r = NoiseMath.sqrt(-2 * NoiseMath.log(u1))
        let turn = NoiseMath.sinCos(turns24: words[2 * pair + 1] >> 8)
        return r * (lane & 1 == 0 ? turn.cos : turn.sin)
    }

    /// Element `element` of the uniform draw under `seed`.
    public static func uniform(seed: UInt64, element: UInt64) -> Float {
        uniform(Philox4x32.words(seed: seed, block: element >> 2), lane: Int(element & 3))
    }

    /// Element `element` of the normal draw under `seed`.
    public static func normal(seed: UInt64, element: UInt64, mean: Float = 0, std: Float = 1) -> Float {
        affine(standardNormal(Philox4x32.words(seed: seed, block: element >> 2), lane: Int(element & 3)), mean: mean, std: std)
    }

    /// mean + std·z as one fused multiply-add (OpenCL C: `fma(std_, z, mean)`).
    @inline(__always)
    public static func affine(_ z: Float, mean: Float, std: Float) -> Float {
        mean.addingProduct(std, z)
    }
}
