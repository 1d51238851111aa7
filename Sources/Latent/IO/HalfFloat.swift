/// Conversions between Float32 and the 16-bit float formats safetensors files use (IEEE binary16
/// "F16" and bfloat16 "BF16"), done on bit patterns so they work on every platform (Swift's
/// `Float16` type is missing on macOS/x86). Float32 → 16-bit rounds to nearest, ties to even, like
/// numpy's `astype(np.float16)`; NaN stays NaN (quiet), overflow becomes ±infinity.
public enum HalfFloat {
    /// The Float32 value of an IEEE binary16 bit pattern (exact).
    public static func float(fromF16 bits: UInt16) -> Float {
        let h = UInt32(bits)
        let sign = (h & 0x8000) << 16
        let exponent = (h >> 10) & 0x1f
        let mantissa = h & 0x3ff
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2⁻²⁴, exactly representable in Float32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The nearest IEEE binary16 bit pattern to `value` (ties to even).
    public static func f16Bits(from value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = (x >> 16) & 0x8000
        let exponent = Int((x >> 23) & 0xff)
        let mantissa = x & 0x7f_ffff
        if exponent == 255 {
            return UInt16(sign | 0x7c00 | (mantissa != 0 ? 0x200 | (mantissa >> 13) : 0))
        }
        let e16 = exponent - 127 + 15
        if e16 >= 31 { return UInt16(sign | 0x7c00) }
        if e16 <= 0 {
            // Subnormal (or zero) result: shift the 24-bit significand right and round.
            if exponent == 0 { return UInt16(sign) }  // Float32 subnormals are far below F16's range.
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - e16)
            if shift > 24 { return UInt16(sign) }
            var half = significand >> shift
            let rest = significand & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
            return UInt16(sign | half)
        }
        var half = sign | (UInt32(e16) << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1fff
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }  // may carry into ±inf: correct
        return UInt16(half)
    }

    /// The Float32 value of a bfloat16 bit pattern (exact: bfloat16 is the top half of a Float32).
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The nearest bfloat16 bit pattern to `value` (ties to even; NaN stays a quiet NaN).
    public static func bf16Bits(from value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(x >> 16) | 0x40 }
        let rounded = x &+ 0x7fff &+ ((x >> 16) & 1)
        return UInt16(rounded >> 16)
    }
}
