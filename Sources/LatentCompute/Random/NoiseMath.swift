/// Logarithm, square root, sine and cosine built from +, −, × and integer bit manipulation only,
/// so that the Swift and OpenCL C versions (`Kernels/random.cl`) round identically: no libm (two
/// libms disagree in the last bit), no division or hardware sqrt (OpenCL's are not correctly rounded
/// by default), no fused multiply-add (the .cl file sets FP_CONTRACT OFF; Swift never contracts).
/// Every expression below is written with the association the .cl file uses; change both together.
///
/// Coefficients come from `tools/fit_noise_polynomials.py` (least squares on Chebyshev nodes,
/// rounded to Float32). Accuracy: about 2e-7 relative for `log`, 1e-7 absolute for sin/cos,
/// a few ulp for `sqrt`; ample for noise.
public enum NoiseMath {
    /// Natural logarithm of a positive, normal, finite Float.
    /// a = 2^e·m with m ∈ [√½, √2), ln a = e·ln 2 + f·L(f) with f = m − 1.
    @inline(__always)
    public static func log(_ a: Float) -> Float {
        var bits = a.bitPattern
        var e = Int32(bitPattern: bits >> 23) - 127
        bits = (bits & 0x007F_FFFF) | 0x3F80_0000
        if bits > 0x3FB5_04F3 {
            bits -= 0x0080_0000
            e += 1
        }
        let f = Float(bitPattern: bits) - 1
        let l: Float =
            0x1p0 + f
            * (-0x1.fffff8p-2 + f
                * (0x1.55579p-2 + f
                    * (-0x1.0005a6p-2
                        + f
                        * (0x1.98b80ap-3 + f
                            * (-0x1.5329bep-3 + f
                                * (0x1.32285p-3 + f
                                    * (-0x1.26729ep-3
                                        + f * 0x1.6626eap-4)))))))
        return Float(e) * 0x1.62e43p-1 + f * l
    }

    /// Square root of a non-negative finite Float: the bit-trick guess for 1/√a, four Newton steps
    /// y ← y·(1.5 − (a/2)·y·y), then √a = a·y (exactly 0 for a = 0).
    @inline(__always)
    public static func sqrt(_ a: Float) -> Float {
        var y = Float(bitPattern: 0x5F37_59DF &- (a.bitPattern >> 1))
        let h = 0.5 * a
        y = y * (1.5 - h * y * y)
        y = y * (1.5 - h * y * y)
        y = y * (1.5 - h * y * y)
        y = y * (1.5 - h * y * y)
        return a * y
    }

    /// sin and cos of 2π·w·2⁻²⁴ for a 24-bit integer w (the angle in 2⁻²⁴ turns).
    /// The angle is split exactly into quarter turns n and a remainder x ∈ [−½, ½) quarter turns,
    /// then sin(πx/2) = x·S(x²), cos(πx/2) = C(x²) and the quadrant n mod 4 picks signs and order.
    @inline(__always)
    public static func sinCos(turns24 w: UInt32) -> (sin: Float, cos: Float) {
        let n = (w + 0x20_0000) >> 22
        let x = Float(Int32(bitPattern: w) - Int32(bitPattern: n << 22)) * 0x1p-22
        let x2 = x * x
        let s =
            x
            * (0x1.921fb6p0 + x2
                * (-0x1.4abbcep-1 + x2
                    * (0x1.466bbcp-4 + x2
                        * (-0x1.32cb0ep-8
                            + x2 * 0x1.4be288p-13))))
        let c: Float =
            0x1p0 + x2
            * (-0x1.3bd3ccp0 + x2
                * (0x1.03c1fp-2 + x2
                    * (-0x1.55d3bap-6
                        + x2 * (0x1.e1e7eep-11 + x2 * -0x1.a0f316p-16))))
        switch n & 3 {
        case 0: return (s, c)
        case 1: return (c, -s)
        case 2: return (-s, -c)
        default: return (-c, s)
        }
    }
}
