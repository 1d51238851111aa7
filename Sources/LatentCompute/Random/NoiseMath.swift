/// Logarithm, square root, sine and cosine built from +, −, ×, fused multiply-add and integer bit
/// manipulation only, so that the Swift and OpenCL C versions (`Kernels/random.cl`) round
/// identically: no libm (two libms disagree in the last bit), no division or hardware sqrt (OpenCL's
/// are not correctly rounded by default).
///
/// Every multiply-add is an explicit, correctly rounded fused multiply-add (`addingProduct` here,
/// `fma()` in OpenCL C), and every other product or sum is a plain one with nothing to fuse it
/// with: the result then cannot depend on whether a compiler contracts `a * b + c` (Swift never
/// does; OpenCL compilers may, and some GPU compilers ignore `FP_CONTRACT OFF`). Every expression
/// below is written with the operations and association the .cl file uses; change both together.
/// `python/latent_torch/philox.py` emulates the same operations in numpy, bit for bit.
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
        var l: Float = 0x1.6626eap-4
        l = horner(l, f, -0x1.26729ep-3)
        l = horner(l, f, 0x1.32285p-3)
        l = horner(l, f, -0x1.5329bep-3)
        l = horner(l, f, 0x1.98b80ap-3)
        l = horner(l, f, -0x1.0005a6p-2)
        l = horner(l, f, 0x1.55579p-2)
        l = horner(l, f, -0x1.fffff8p-2)
        l = horner(l, f, 0x1p0)
        // e·ln 2 + (f·l): the exact product e·ln 2 plus the rounded f·l, rounded once.
        return (f * l).addingProduct(Float(e), 0x1.62e43p-1)
    }

    /// Square root of a non-negative finite Float: the bit-trick guess for 1/√a, four Newton steps
    /// y ← y·(1.5 − (a/2)·y·y) with 1.5 − ((a/2)·y)·y fused, then √a = a·y (exactly 0 for a = 0).
    @inline(__always)
    public static func sqrt(_ a: Float) -> Float {
        var y = Float(bitPattern: 0x5F37_59DF &- (a.bitPattern >> 1))
        let h = 0.5 * a
        y = y * newtonFactor(h, y)
        y = y * newtonFactor(h, y)
        y = y * newtonFactor(h, y)
        y = y * newtonFactor(h, y)
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
        var s: Float = 0x1.4be288p-13
        s = horner(s, x2, -0x1.32cb0ep-8)
        s = horner(s, x2, 0x1.466bbcp-4)
        s = horner(s, x2, -0x1.4abbcep-1)
        s = horner(s, x2, 0x1.921fb6p0)
        s = x * s
        var c: Float = -0x1.a0f316p-16
        c = horner(c, x2, 0x1.e1e7eep-11)
        c = horner(c, x2, -0x1.55d3bap-6)
        c = horner(c, x2, 0x1.03c1fp-2)
        c = horner(c, x2, -0x1.3bd3ccp0)
        c = horner(c, x2, 0x1p0)
        switch n & 3 {
        case 0: return (s, c)
        case 1: return (c, -s)
        case 2: return (-s, -c)
        default: return (-c, s)
        }
    }

    /// One Horner step, coefficient + t·acc, fused (OpenCL C: `fma(t, acc, coefficient)`).
    @inline(__always)
    static func horner(_ acc: Float, _ t: Float, _ coefficient: Float) -> Float {
        coefficient.addingProduct(t, acc)
    }

    /// 1.5 − (h·y)·y, the product h·y rounded, the rest fused (OpenCL C: `fma(-(h * y), y, 1.5f)`).
    @inline(__always)
    static func newtonFactor(_ h: Float, _ y: Float) -> Float {
        (1.5 as Float).addingProduct(-(h * y), y)
    }
}
