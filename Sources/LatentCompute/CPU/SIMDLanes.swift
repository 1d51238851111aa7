/// Eight-lane vector helpers of the CPU kernels (Conv, Norm, Backward, Optim and others).
/// Eight lanes: one AVX2 register with `-target-cpu haswell`, two SSE registers without.
typealias FloatLanes = SIMD8<Float>

/// Loads 8 floats at p + i (unaligned).
@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, _ i: Int) -> FloatLanes {
    UnsafeRawPointer(p + i).loadUnaligned(as: FloatLanes.self)
}

/// Stores 8 floats at p + i (unaligned).
@inline(__always)
func storeLanes(_ v: FloatLanes, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: FloatLanes.self)
}

/// Σ p[i]·w + ... over n floats, in blocks: 8-lane Float partial sums over at most 1024 elements
/// are added into a Double, so the error stays near Float rounding even for millions of elements.
@inline(__always)
func blockedSum(_ n: Int, _ term: (Int) -> FloatLanes, _ scalarTerm: (Int) -> Float) -> Double {
    var total = 0.0
    var i = 0
    while i < n {
        let blockEnd = min(n, i + 1024)
        var acc = FloatLanes()
        while i + FloatLanes.scalarCount <= blockEnd {
            acc += term(i)
            i += FloatLanes.scalarCount
        }
        var tail: Float = 0
        while i < blockEnd {
            tail += scalarTerm(i)
            i += 1
        }
        total += Double(acc.sum()) + Double(tail)
    }
    return total
}
