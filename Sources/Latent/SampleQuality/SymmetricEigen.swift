import LatentCompute

/// The eigendecomposition A = V·diag(λ)·Vᵀ of a real symmetric n×n matrix in Float64, by the
/// cyclic Jacobi method (Golub & Van Loan §8.5): sweeps of plane rotations, each zeroing one
/// off-diagonal pair, until the off-diagonal part is negligible. O(n³) per sweep and about ten
/// sweeps; accurate to a few ulps of ‖A‖ even for singular or nearly singular matrices.
public struct SymmetricEigen: Sendable {
    public let size: Int
    /// The eigenvalues, ascending.
    public let values: [Double]
    /// n×n row-major; column j is the unit eigenvector of `values[j]`.
    public let vectors: [Double]

    /// Decomposes `matrix` (n×n row-major). Throws when it is not square, not finite or not symmetric.
    public init(_ matrix: [Double], size n: Int) throws {
        guard n >= 1, matrix.count == n * n else {
            throw ComputeError.shapeMismatch("an eigendecomposition needs an n×n matrix, got \(matrix.count) values for n = \(n)")
        }
        guard matrix.allSatisfy(\.isFinite) else { throw ComputeError.invalidArgument("the matrix has NaN or infinite entries") }
        let scale = matrix.reduce(0) { Swift.max($0, Swift.abs($1)) }
        for i in 0..<n {
            for j in 0..<i where Swift.abs(matrix[i * n + j] - matrix[j * n + i]) > 1e-12 * scale {
                throw ComputeError.invalidArgument("the matrix is not symmetric at (\(i), \(j))")
            }
        }
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let normSquared = matrix.reduce(0) { $0 + $1 * $1 }
        var sweeps = 0
        while Self.offDiagonalSquared(a, n) > 1e-30 * normSquared {
            guard sweeps < 100 else { throw ComputeError.invalidArgument("Jacobi eigendecomposition did not converge") }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p * n + q] != 0 { Self.rotate(&a, &v, n, p, q) }
            }
            sweeps += 1
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        values = order.map { a[$0 * n + $0] }
        var sorted = [Double](repeating: 0, count: n * n)
        for (column, source) in order.enumerated() {
            for row in 0..<n { sorted[row * n + column] = v[row * n + source] }
        }
        vectors = sorted
        size = n
    }

    /// V·diag(f(λ))·Vᵀ: the matrix function f(A), e.g. the square root with f = √max(λ, 0).
    public func applying(_ f: (Double) -> Double) -> [Double] {
        let n = size
        let mapped = values.map(f)
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * mapped[k] * vectors[j * n + k] }
                result[i * n + j] = sum
                result[j * n + i] = sum
            }
        }
        return result
    }

    static func offDiagonalSquared(_ a: [Double], _ n: Int) -> Double {
        var sum = 0.0
        for i in 0..<n { for j in 0..<n where j != i { sum += a[i * n + j] * a[i * n + j] } }
        return sum
    }

    /// A ← JᵀAJ and V ← VJ for the rotation J in the (p, q) plane that zeroes a[p, q].
    static func rotate(_ a: inout [Double], _ v: inout [Double], _ n: Int, _ p: Int, _ q: Int) {
        let apq = a[p * n + q]
        let tau = (a[q * n + q] - a[p * n + p]) / (2 * apq)
        // tan θ of the smaller of the two angles that work, for stability (1/(2τ) where τ² would overflow).
        let t = Swift.abs(tau) > 1e150 ? 1 / (2 * tau) : (tau >= 0 ? 1.0 : -1.0) / (Swift.abs(tau) + (1 + tau * tau).squareRoot())
        let c = 1 / (1 + t * t).squareRoot(), s = t * c
        for k in 0..<n {
            let (kp, kq) = (a[k * n + p], a[k * n + q])
            a[k * n + p] = c * kp - s * kq
            a[k * n + q] = s * kp + c * kq
        }
        for k in 0..<n {
            let (pk, qk) = (a[p * n + k], a[q * n + k])
            a[p * n + k] = c * pk - s * qk
            a[q * n + k] = s * pk + c * qk
        }
        for k in 0..<n {
            let (kp, kq) = (v[k * n + p], v[k * n + q])
            v[k * n + p] = c * kp - s * kq
            v[k * n + q] = s * kp + c * kq
        }
        // Zero in exact arithmetic; setting it keeps rounding from stalling convergence.
        a[p * n + q] = 0
        a[q * n + p] = 0
    }
}
