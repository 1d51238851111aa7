import Foundation

/// Small dense matrices on the host (row-major [n·n] Doubles) for the invertible 1×1 convolution:
/// its random rotation at initialisation, the LU factors, and the inverse used for sampling.
enum FlowLinearAlgebra {
    /// The Q of a QR decomposition of `a` (modified Gram–Schmidt on the columns): an orthogonal matrix.
    static func orthogonal(_ a: [Double], n: Int) -> [Double] {
        var q = a
        for j in 0..<n {
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += q[i * n + j] * q[i * n + k] }
                for i in 0..<n { q[i * n + j] -= dot * q[i * n + k] }
            }
            var norm = 0.0
            for i in 0..<n { norm += q[i * n + j] * q[i * n + j] }
            norm = norm.squareRoot()
            for i in 0..<n { q[i * n + j] /= max(norm, 1e-300) }
        }
        return q
    }

    /// A = P·L·U with partial pivoting: P a permutation matrix, L unit lower, U upper triangular.
    static func lu(_ a: [Double], n: Int) -> (p: [Double], l: [Double], u: [Double]) {
        var u = a, perm = Array(0..<n)
        var l = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let pivot = (k..<n).max { Swift.abs(u[$0 * n + k]) < Swift.abs(u[$1 * n + k]) } ?? k
            if pivot != k {
                for j in 0..<n {
                    u.swapAt(k * n + j, pivot * n + j)
                    l.swapAt(k * n + j, pivot * n + j)
                }
                perm.swapAt(k, pivot)
            }
            for i in (k + 1)..<max(n, k + 1) where u[k * n + k] != 0 {
                let factor = u[i * n + k] / u[k * n + k]
                l[i * n + k] = factor
                for j in k..<n { u[i * n + j] -= factor * u[k * n + j] }
            }
        }
        for i in 0..<n { l[i * n + i] = 1 }
        // Rows of P·A were permuted by perm: A = Pᵀ_perm·L·U, so P[perm[i], i] = 1.
        var p = [Double](repeating: 0, count: n * n)
        for i in 0..<n { p[perm[i] * n + i] = 1 }
        return (p, l, u)
    }

    /// The inverse of `a` by Gauss–Jordan elimination with partial pivoting (nil when singular).
    static func inverse(_ a: [Double], n: Int) -> [Double]? {
        var m = a
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for k in 0..<n {
            guard let pivot = (k..<n).max(by: { Swift.abs(m[$0 * n + k]) < Swift.abs(m[$1 * n + k]) }), m[pivot * n + k] != 0 else {
                return nil
            }
            for j in 0..<n {
                m.swapAt(k * n + j, pivot * n + j)
                inv.swapAt(k * n + j, pivot * n + j)
            }
            let d = m[k * n + k]
            for j in 0..<n {
                m[k * n + j] /= d
                inv[k * n + j] /= d
            }
            for i in 0..<n where i != k {
                let f = m[i * n + k]
                guard f != 0 else { continue }
                for j in 0..<n {
                    m[i * n + j] -= f * m[k * n + j]
                    inv[i * n + j] -= f * inv[k * n + j]
                }
            }
        }
        return inv
    }

    /// log|det a| by LU (−∞ when singular).
    static func logAbsDeterminant(_ a: [Double], n: Int) -> Double {
        let (_, _, u) = lu(a, n: n)
        return (0..<n).reduce(0.0) { $0 + Foundation.log(Swift.abs(u[$1 * n + $1])) }
    }

    static func multiply(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { for j in 0..<n { c[i * n + j] += a[i * n + k] * b[k * n + j] } } }
        return c
    }
}

extension FlowLinearAlgebra {
    static func transposed(_ a: [Double], n: Int) -> [Double] {
        (0..<(n * n)).map { a[($0 % n) * n + $0 / n] }
    }
}
