import LatentCompute

/// The mean and covariance of a set of feature vectors in Float64: the Gaussian that the
/// Fréchet distance compares. The covariance is the unbiased one (divided by N − 1), as numpy's
/// `np.cov` and the usual FID code compute it.
public struct GaussianStatistics: Sendable, Equatable {
    /// Number of vectors the statistics were computed from.
    public let count: Int
    public let dimension: Int
    public let mean: [Double]
    /// dimension × dimension, row-major.
    public let covariance: [Double]

    /// Statistics given directly (e.g. a closed-form Gaussian).
    public init(mean: [Double], covariance: [Double], count: Int) throws {
        guard !mean.isEmpty, covariance.count == mean.count * mean.count else {
            throw ComputeError.shapeMismatch(
                "a mean of \(mean.count) values needs a \(mean.count)×\(mean.count) covariance, "
                    + "got \(covariance.count) values")
        }
        self.mean = mean
        self.covariance = covariance
        self.count = count
        dimension = mean.count
    }

    /// Statistics of `rows`: count × `dimension` values, one vector after the other (at least two vectors).
    public init(rows: [Float], dimension d: Int) throws {
        guard d >= 1, rows.count % d == 0, rows.count / d >= 2 else {
            throw ComputeError.invalidArgument("statistics need at least two vectors of \(d) values, got \(rows.count) values")
        }
        guard rows.allSatisfy(\.isFinite) else { throw ComputeError.invalidArgument("the features contain NaN or infinite values") }
        let n = rows.count / d
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n { for j in 0..<d { mean[j] += Double(rows[r * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var covariance = [Double](repeating: 0, count: d * d)
        var centered = [Double](repeating: 0, count: d)
        for r in 0..<n {
            for j in 0..<d { centered[j] = Double(rows[r * d + j]) - mean[j] }
            for i in 0..<d where centered[i] != 0 {
                let ci = centered[i]
                for j in i..<d { covariance[i * d + j] += ci * centered[j] }
            }
        }
        for i in 0..<d {
            for j in i..<d {
                covariance[i * d + j] /= Double(n - 1)
                covariance[j * d + i] = covariance[i * d + j]
            }
        }
        try self.init(mean: mean, covariance: covariance, count: n)
    }
}
