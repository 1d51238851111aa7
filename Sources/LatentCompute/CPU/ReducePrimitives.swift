#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Contiguous-range reductions used by Reduce.swift: SIMD16 lanes accumulate blocks of
/// `reduceBlock` elements in Float, and block totals are added in Double, so a sum over n elements
/// has error about (n/reduceBlock + reduceBlock/16)·ε instead of n·ε.
enum RangeReduce {
    static let reduceBlock = 1024

    /// Σ p[0..<n].
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        blocked(p, n) { $0 }
    }

    /// Σ exp(p[j] − shift), 16 lanes at a time through `vectorExp`.
    static func sumExp(_ p: UnsafePointer<Float>, _ n: Int, shift: Float) -> Double {
        let s = FloatVector(repeating: shift)
        return blocked(p, n, scalar: { expf($0 - shift) }) { vectorExp($0 - s) }
    }

    /// dst[j] = exp(src[j] − shift) for j < n; returns Σ dst[j] (Float within blocks, Double across).
    static func storeExp(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
        let w = FloatVector.scalarCount, s = FloatVector(repeating: shift)
        var total = 0.0
        var start = 0
        while start < n {
            let end = min(start + reduceBlock, n)
            var acc = FloatVector()
            var tail: Float = 0
            var j = start
            while j + w <= end {
                let e = vectorExp(load(src, j) - s)
                store(e, dst, j)
                acc += e
                j += w
            }
            while j < end {
                let e = expf(src[j] - shift)
                dst[j] = e
                tail += e
                j += 1
            }
            total += Double(acc.sum()) + Double(tail)
            start = end
        }
        return total
    }

    /// (Σ (p[j] − center)², Σ (p[j] − center)) for the corrected two-pass variance.
    static func deviations(_ p: UnsafePointer<Float>, _ n: Int, center: Float) -> (squares: Double, sum: Double) {
        let c = FloatVector(repeating: center)
        let squares = blocked(p, n, scalar: { ($0 - center) * ($0 - center) }) { v in
            let d = v - c
            return d * d
        }
        let sum = blocked(p, n, scalar: { $0 - center }) { $0 - c }
        return (squares, sum)
    }

    /// The largest (or, when `!largest`, smallest) value; −∞ (+∞) for n = 0. NaN is ignored.
    static func extreme(_ p: UnsafePointer<Float>, _ n: Int, largest: Bool) -> Float {
        let w = FloatVector.scalarCount
        var j = 0
        var best: Float = largest ? -.infinity : .infinity
        if n >= w {
            var acc = load(p, 0)
            j = w
            if largest {
                while j + w <= n {
                    let v = load(p, j)
                    acc = acc.replacing(with: v, where: v .> acc)
                    j += w
                }
                best = acc.max()
            } else {
                while j + w <= n {
                    let v = load(p, j)
                    acc = acc.replacing(with: v, where: v .< acc)
                    j += w
                }
                best = acc.min()
            }
        }
        while j < n {
            if largest ? p[j] > best : p[j] < best { best = p[j] }
            j += 1
        }
        return best
    }

    /// The first j with p[j] == value, or 0 when there is none.
    static func firstIndex(_ p: UnsafePointer<Float>, _ n: Int, of value: Float) -> Int {
        let w = FloatVector.scalarCount
        let target = FloatVector(repeating: value)
        var j = 0
        while j + w <= n {
            if any(load(p, j) .== target) { break }
            j += w
        }
        while j < n {
            if p[j] == value { return j }
            j += 1
        }
        return 0
    }

    /// Σ f(p[j]) in blocks: f applied to 16 lanes at a time, Float within a block, Double across.
    @inline(__always)
    private static func blocked(
        _ p: UnsafePointer<Float>, _ n: Int, scalar: (Float) -> Float = { $0 },
        _ f: (FloatVector) -> FloatVector
    ) -> Double {
        let w = FloatVector.scalarCount
        var total = 0.0
        var start = 0
        while start < n {
            let end = min(start + reduceBlock, n)
            var acc0 = FloatVector(), acc1 = FloatVector()
            var j = start
            while j + 2 * w <= end {
                acc0 += f(load(p, j))
                acc1 += f(load(p, j + w))
                j += 2 * w
            }
            var tail: Float = 0
            while j < end {
                tail += scalar(p[j])
                j += 1
            }
            total += Double((acc0 + acc1).sum()) + Double(tail)
            start = end
        }
        return total
    }
}
