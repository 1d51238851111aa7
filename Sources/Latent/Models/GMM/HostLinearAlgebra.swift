/// Float64 Cholesky factorisation and triangular inversion of small row-major matrices.
///
/// The mixture needs K of these per EM step on D × D matrices (K ≤ a few hundred, D ≤ a few
/// hundred): that is microseconds of work on the host in Float64, far less than a device round trip
/// per matrix, and Float64 keeps the precision factors accurate when a covariance is nearly singular.
enum HostLinearAlgebra {
    /// The lower-triangular L with L·Lᵀ = a, or nil when `a` (n × n, symmetric) is not positive definite.
    static func cholesky(_ a: ArraySlice<Double>, n: Int) -> [Double]? {
        let base = a.startIndex
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var diagonal = a[base + j * n + j]
            for p in 0..<j { diagonal -= l[j * n + p] * l[j * n + p] }
            guard diagonal > 0, diagonal.isFinite else { return nil }
            let ljj = diagonal.squareRoot()
            l[j * n + j] = ljj
            for i in (j + 1)..<max(n, j + 1) {
                var value = a[base + i * n + j]
                for p in 0..<j { value -= l[i * n + p] * l[j * n + p] }
                l[i * n + j] = value / ljj
            }
        }
        return l
    }

    /// The inverse of a lower-triangular matrix with a positive diagonal (lower-triangular too).
    static func lowerTriangularInverse(_ l: [Double], n: Int) -> [Double] {
        var inverse = [Double](repeating: 0, count: n * n)
        for column in 0..<n {
            // Forward substitution of L·x = e_column.
            for i in column..<n {
                var value = i == column ? 1.0 : 0.0
                for p in column..<i { value -= l[i * n + p] * inverse[p * n + column] }
                inverse[i * n + column] = value / l[i * n + i]
            }
        }
        return inverse
    }

    static func transpose(_ a: [Double], n: Int) -> [Double] {
        var t = a
        for i in 0..<n { for j in 0..<n { t[j * n + i] = a[i * n + j] } }
        return t
    }

    /// a with its rows and columns both reversed.
    static func flipped(_ a: ArraySlice<Double>, n: Int) -> [Double] {
        let base = a.startIndex
        return (0..<(n * n)).map { a[base + n * n - 1 - $0] }
    }

    /// scikit-learn's precision Cholesky factor of a covariance: the upper-triangular U = (L⁻¹)ᵀ with
    /// L = cholesky(covariance), so that U·Uᵀ is the precision. nil when not positive definite.
    static func precisionCholesky(ofCovariance covariance: ArraySlice<Double>, n: Int) -> [Double]? {
        guard let l = cholesky(covariance, n: n) else { return nil }
        return transpose(lowerTriangularInverse(l, n: n), n: n)
    }

    /// The upper-triangular U with U·Uᵀ = precision (scikit-learn's flip–Cholesky–flip), or nil.
    static func precisionCholesky(ofPrecision precision: ArraySlice<Double>, n: Int) -> [Double]? {
        guard let l = cholesky(ArraySlice(flipped(precision, n: n)), n: n) else { return nil }
        return flipped(ArraySlice(l), n: n)
    }
}
