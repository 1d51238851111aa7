/// The M-step: sufficient statistics on the device (Σ r and rᵀx in the fused moments kernel, then the fused diagonal
/// scatter Σ_n r_nk (x_nd − μ_kd)² or the batched scatter matrices Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ by
/// covariance type), then weights, means and covariances on the host in Float64, as scikit-learn's
/// `_estimate_gaussian_parameters`.
enum GaussianMixtureMStep {
    /// New parameters from responsibilities (N × K). `normalizeWeights` divides by Σ n_k (the
    /// M-step) rather than by N (the initialisation), as scikit-learn does.
    static func parameters(
        _ data: GaussianMixtureData, responsibilities r: Tensor, type: GaussianCovarianceType,
        regCovar: Double, normalizeWeights: Bool = true
    ) throws -> GaussianMixtureParameters {
        let (n, d) = (data.samples, data.features)
        let k = r.shape[1]
        // rᵀx and n_k in one fused pass and one read (K × (D + 1)); 10·eps keeps empty components
        // finite, as scikit-learn.
        let moments = try data.centered.gaussianMoments(weights: r).toArray()
        let nk = (0..<k).map { Double(moments[$0 * (d + 1) + d]) + 10 * Double.ulpOfOne }
        let means = (0..<(k * d)).map { Double(moments[$0 / d * (d + 1) + $0 % d]) / nk[$0 / d] }
        var covariances: [Double]
        switch type {
        case .diag, .spherical:
            // The fused scatter Σ_n r_nk (x_nd − μ_kd)² on explicit differences (the expanded
            // E[x²] − μ² loses a tiny variance beside μ² in Float32).
            let mu = try Tensor(means.map(Float.init), shape: [k, d], on: r.device)
            let scatter = try data.centered.gaussianScatter(weights: r, means: mu).toArray()
            covariances = (0..<(k * d)).map { Double(scatter[$0]) / nk[$0 / d] + regCovar }
            if type == .spherical {
                covariances = (0..<k).map { c in covariances[(c * d)..<((c + 1) * d)].reduce(0, +) / Double(d) }
            }
        case .full, .tied:
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
}
