/// The M-step: sufficient statistics on the device through GEMMs and reductions (Σ r, rᵀx, and
/// rᵀx² or the batched scatter matrices Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ by covariance type), then weights, means and covariances on the
/// host in Float64, as scikit-learn's `_estimate_gaussian_parameters`.
enum GaussianMixtureMStep {
    /// New parameters from responsibilities (N × K). `normalizeWeights` divides by Σ n_k (the
    /// M-step) rather than by N (the initialisation), as scikit-learn does.
    static func parameters(
        _ data: GaussianMixtureData, responsibilities r: Tensor, type: GaussianCovarianceType,
        regCovar: Double, normalizeWeights: Bool = true
    ) throws -> GaussianMixtureParameters {
        let (n, d) = (data.samples, data.features)
        let k = r.shape[1]
        // 10·eps keeps empty components finite, as scikit-learn.
        let nk = try r.sum(axis: 0).toArray().map { Double($0) + 10 * Double.ulpOfOne }
        let means: [Double]
        var covariances: [Double]
        switch type {
        case .diag, .spherical:
            // rᵀ·[x², x] gives Σ r x² and Σ r x in one GEMM.
            let moments = try r.matmul(data.squaresAndValues!, transposeSelf: true).toArray()
            means = (0..<(k * d)).map { Double(moments[($0 / d) * 2 * d + d + $0 % d]) / nk[$0 / d] }
            covariances = (0..<(k * d)).map { i in
                let second = Double(moments[(i / d) * 2 * d + i % d]) / nk[i / d]
                return resolved(second - means[i] * means[i], scale: second)
            }
            let secondMoments = (0..<(k * d)).map { Double(moments[($0 / d) * 2 * d + $0 % d]) / nk[$0 / d] }
            if GaussianMixtureDirectDifferences.neededForVariances(covariances, secondMoments: secondMoments) {
                let scatter = try GaussianMixtureDirectDifferences.scatter(data, responsibilities: r, centeredMeans: means)
                covariances = (0..<(k * d)).map { resolved(scatter[$0] / nk[$0 / d], scale: 0) }
            }
            covariances = covariances.map { $0 + regCovar }
            if type == .spherical {
                covariances = (0..<k).map { c in covariances[(c * d)..<((c + 1) * d)].reduce(0, +) / Double(d) }
            }
        case .full, .tied:
            let sums = try r.matmul(data.centered, transposeSelf: true).toArray()
            means = (0..<(k * d)).map { Double(sums[$0]) / nk[$0 / d] }
            // Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ for all k in one batched GEMM on explicit differences
            // (K × N × D): the expanded Σ r x xᵀ − n_k μ μᵀ loses a near-singular covariance in Float32.
            let mu = try Tensor(means.map(Float.init), shape: [k, 1, d], on: r.device)
            let differences = try data.centered.reshaped([1, n, d]) - mu
            let weighted = try r.transposed().reshaped([k, n, 1]) * differences
            let scatter = try weighted.matmul(differences, transposeSelf: true).toArray()
            if type == .full {
                covariances = (0..<(k * d * d)).map { i in
                    Double(scatter[i]) / nk[i / (d * d)] + (i % (d * d) / d == i % d ? regCovar : 0)
                }
            } else {
                let total = nk.reduce(0, +)
                covariances = (0..<(d * d)).map { i in
                    (0..<k).reduce(0.0) { $0 + Double(scatter[$1 * d * d + i]) } / total + (i / d == i % d ? regCovar : 0)
                }
            }
        }
        let weightTotal = normalizeWeights ? nk.reduce(0, +) : Double(n)
        let shifted = (0..<(k * d)).map { means[$0] + data.center[$0 % d] }
        return try GaussianMixtureParameters(
            covarianceType: type, weights: nk.map { $0 / weightTotal }, means: shifted,
            covariances: covariances, regCovar: regCovar)
    }

    /// A central moment E[x²] − E[x]² below what the Float32 sums behind E[x²] resolve (a few ulps
    /// of `scale` = E[x²]) is rounding noise: it is taken as exactly 0, so that collapsed samples
    /// give the not-positive-definite error (unless reg_covar > 0) instead of a noise covariance.
    static func resolved(_ value: Double, scale: Double) -> Double {
        Swift.abs(value) <= 4 * Double(Float.ulpOfOne) * scale ? 0 : value
    }
}
