import Foundation

/// The E-step on the device: log N(x | μ_k, Σ_k) + log π_k for every sample and component, through
/// GEMMs with the precision Cholesky factors for `full`/`tied` (as scikit-learn's
/// `_estimate_log_gaussian_prob`) and the fused `gaussianLogDensity`/`gaussianResponsibilities`
/// kernels for `diag`/`spherical`, then the row-wise log-sum-exp.
enum GaussianMixtureEStep {
    /// log π_k + log N(x_n | μ_k, Σ_k) (N × K).
    static func weightedLogProbabilities(_ data: GaussianMixtureData, _ p: GaussianMixtureParameters) throws -> Tensor {
        let device = data.centered.device
        let (k, d) = (p.components, p.features)
        guard d == data.features else { throw GaussianMixtureError.featureMismatch(expected: d, found: data.features) }
        let means = data.centeredMeans(p)
        let logDet = p.logDetPrecisionCholesky
        let constants = (0..<k).map { c in Float(-0.5 * Double(d) * Foundation.log(2 * Double.pi) + logDet[c] + Foundation.log(p.weights[c])) }
        switch p.covarianceType {
        case .full, .tied:
            // y = x·U_k − μ_k·U_k; all components in one GEMM against [U_1 … U_K] (D × K·D) for full.
            let factorCount = p.covarianceType == .full ? k : 1
            var stacked = [Float](repeating: 0, count: d * factorCount * d)
            var shifts = [Float](repeating: 0, count: k * d)
            for c in 0..<k {
                let f = p.covarianceType == .full ? c : 0
                for i in 0..<d { for j in 0..<d { stacked[i * factorCount * d + f * d + j] = Float(p.precisionsCholesky[f * d * d + i * d + j]) } }
                for j in 0..<d {
                    var value = 0.0
                    for i in 0..<d { value += means[c * d + i] * p.precisionsCholesky[f * d * d + i * d + j] }
                    shifts[c * d + j] = Float(value)
                }
            }
            let projected = try data.centered.matmul(Tensor(stacked, shape: [d, factorCount * d], on: device))
            let y = try projected.reshaped([data.samples, factorCount, d]) - Tensor(shifts, shape: [k, d], on: device)
            return try y.square().sum(axis: 2).affine(scale: -0.5) + Tensor(constants, shape: [k], on: device)
        case .diag, .spherical:
            // One fused kernel on explicit differences: the expanded x²·p − 2x·μp + μ²·p would cancel
            // in Float32 where a variance is tiny beside μ² (Fashion-MNIST's near-constant pixels).
            let o = try diagonalOperands(data, p)
            return try data.centered.gaussianLogDensity(means: o.means, precisions: o.precisions, offsets: o.offsets)
        }
    }

    /// The fused mixture kernels' operands for `diag`/`spherical`: means relative to the data's
    /// centre, precisions 1/σ² (K × D) and offsets log π_k + log det U_k − D/2·log 2π (K).
    static func diagonalOperands(_ data: GaussianMixtureData, _ p: GaussianMixtureParameters) throws
        -> (means: Tensor, precisions: Tensor, offsets: Tensor)
    {
        let device = data.centered.device
        let (k, d) = (p.components, p.features)
        guard d == data.features else { throw GaussianMixtureError.featureMismatch(expected: d, found: data.features) }
        let logDet = p.logDetPrecisionCholesky
        let constants = (0..<k).map { c in Float(-0.5 * Double(d) * Foundation.log(2 * Double.pi) + logDet[c] + Foundation.log(p.weights[c])) }
        let precisions = (0..<(k * d)).map { i in
            let u = p.covarianceType == .diag ? p.precisionsCholesky[i] : p.precisionsCholesky[i / d]
            return Float(u * u)
        }
        return (
            try Tensor(data.centeredMeans(p).map(Float.init), shape: [k, d], on: device),
            try Tensor(precisions, shape: [k, d], on: device), try Tensor(constants, shape: [k], on: device)
        )
    }

    /// The per-sample log-likelihood log Σ_k π_k N(x_n | k) (N values) and the responsibilities
    /// (N × K): for `diag`/`spherical` the fused `gaussianResponsibilities` kernel (one launch), for
    /// `full`/`tied` two passes over the GEMM's log-probabilities (log-sum-exp, softmax).
    static func responsibilities(_ data: GaussianMixtureData, _ p: GaussianMixtureParameters) throws
        -> (logLikelihood: Tensor, responsibilities: Tensor)
    {
        if p.covarianceType == .diag || p.covarianceType == .spherical {
            // One launch: densities, log-sum-exp and responsibilities per row while it is in cache.
            let o = try diagonalOperands(data, p)
            let e = try data.centered.gaussianResponsibilities(means: o.means, precisions: o.precisions, offsets: o.offsets)
            return (e.logLikelihood, e.responsibilities)
        }
        let weighted = try weightedLogProbabilities(data, p)
        return (try weighted.logsumexp(axis: 1, keepDims: true), try weighted.softmax())
    }

    /// The mean of the per-sample log-likelihoods, accumulated in Float64 on the host (a Float32 sum
    /// of 60 000 values of a few thousand nats loses the 1e-3 tolerance).
    static func mean(_ logLikelihood: Tensor) throws -> Double {
        let values = try logLikelihood.toArray()
        return values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    }
}
