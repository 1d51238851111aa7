/// e^x on 16 lanes: Cody–Waite reduction x = n·ln2 + r (|r| ≤ ln2/2, ln 2 split in a short
/// high part and a low correction), a degree-6 polynomial for e^r (the classic Cephes expf
/// coefficients) and 2^n assembled in the exponent bits. About 1 ulp over the normal range;
/// results below the smallest normal Float flush to 0 (so e^−∞ = 0), above ~88.72 give +∞, NaN stays NaN.
@inline(__always)
func vectorExp(_ x: FloatVector) -> FloatVector {
    let low: Float = -87.336_54, high: Float = 88.722_83
    let xc = x.clamped(lowerBound: FloatVector(repeating: low), upperBound: FloatVector(repeating: high))
    let n = (xc * 1.442_695_04).rounded(.toNearestOrEven)
    let r = (xc - n * 0.693_359_375) - n * -2.121_944_4e-4
    var p = r * 1.987_569_15e-4 + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let er = p * (r * r) + r + 1
    let bits = (SIMD16<Int32>(n, rounding: .toNearestOrEven) &+ 127) &<< 23
    var result = er * unsafeBitCast(bits, to: FloatVector.self)
    result.replace(with: 0, where: x .< low)
    result.replace(with: .infinity, where: x .> high)
    result.replace(with: x, where: x .!= x)
    return result
}
