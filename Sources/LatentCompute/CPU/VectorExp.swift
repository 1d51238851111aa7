#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// e^x on 16 lanes: Cody–Waite reduction x = n·ln2 + r (|r| ≤ ln2/2, ln 2 split in a short
/// high part and a low correction), a degree-6 polynomial for e^r (the classic Cephes expf
/// coefficients) and 2^n assembled in the exponent bits. About 1 ulp over the normal range;
/// results below the smallest normal Float flush to 0 (so e^−∞ = 0), NaN stays NaN, and lanes above
/// 88.37 fall back to libm.
@inline(__always)
func vectorExp(_ x: FloatVector) -> FloatVector {
    // Above 127.5·ln 2 the 2^n factor would overflow before the polynomial scales it down: the
    // rare vectors with such lanes go to libm lane by lane.
    if any(x .> 88.376_26) {
        var r = x
        for i in 0..<FloatVector.scalarCount { r[i] = expf(x[i]) }
        return r
    }
    let low: Float = -87.336_54
    let xc = x.replacing(with: low, where: .!(x .>= low))
    // Round x·log2 e to the nearest integer n by adding and removing 1.5·2^23; the low mantissa
    // bits of the shifted value then hold n itself (avoids the slow generic rounding conversions).
    let shifted = xc * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = (xc - n * 0.693_359_375) - n * -2.121_944_4e-4
    var p = r * 1.987_569_15e-4 + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let er = p * (r * r) + r + 1
    let bits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    var result = er * unsafeBitCast(bits, to: FloatVector.self)
    result.replace(with: 0, where: x .< low)
    result.replace(with: x, where: x .!= x)
    return result
}
