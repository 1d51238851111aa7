import LatentCompute

/// The Fréchet (2-Wasserstein) distance between two Gaussians, as FID computes it:
///
///     d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2·(Σ₁^½ Σ₂ Σ₁^½)^½)
///
/// in Float64. Tr((Σ₁Σ₂)^½) is taken through the symmetric form Σ₁^½ Σ₂ Σ₁^½ (similar to Σ₁Σ₂, so
/// the same eigenvalues), whose square root two symmetric eigendecompositions give without the
/// complex round-off of a general matrix square root; singular covariances (fewer vectors than
/// dimensions) are fine.
public enum FrechetDistance {
    /// The distance between the Gaussians of two feature sets (clamped at 0: rounding can take
    /// identical sets a hair below).
    public static func between(_ a: GaussianStatistics, _ b: GaussianStatistics) throws -> Double {
        guard a.dimension == b.dimension else {
            throw ComputeError.shapeMismatch("Fréchet distance of \(a.dimension)- and \(b.dimension)-dimensional features")
        }
        let n = a.dimension
        let meanTerm = zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let rootA = try SymmetricEigen(a.covariance, size: n).applying { $0 > 0 ? $0.squareRoot() : 0 }
        var middle = multiply(multiply(rootA, b.covariance, n), rootA, n)
        // Symmetric in exact arithmetic; averaging with the transpose removes the rounding asymmetry.
        for i in 0..<n {
            for j in 0..<i {
                let average = (middle[i * n + j] + middle[j * n + i]) / 2
                middle[i * n + j] = average
                middle[j * n + i] = average
            }
        }
        let traceRoot = try SymmetricEigen(middle, size: n).values.reduce(0) { $0 + ($1 > 0 ? $1.squareRoot() : 0) }
        let traces = (0..<n).reduce(0) { $0 + a.covariance[$1 * n + $1] + b.covariance[$1 * n + $1] }
        return Swift.max(0, meanTerm + traces - 2 * traceRoot)
    }

    /// x·y of two n×n row-major matrices.
    static func multiply(_ x: [Double], _ y: [Double], _ n: Int) -> [Double] {
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n where x[i * n + k] != 0 {
                let xik = x[i * n + k]
                for j in 0..<n { result[i * n + j] += xik * y[k * n + j] }
            }
        }
        return result
    }
}
