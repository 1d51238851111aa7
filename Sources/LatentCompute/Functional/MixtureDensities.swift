/// The diagonal-Gaussian mixture terms (E- and M-step of `GaussianMixture`) through the fused
/// `gaussianLogDensity`, `gaussianResponsibilities`, `gaussianScatter` and `gaussianMoments` kernels. Not differentiable (EM needs no gradient).
extension Tensor {
    /// Log-densities of the rows of self [N, D] under K diagonal Gaussians: out [N, K] with
    /// out[n, k] = offsets[k] − ½·Σ_d precisions[k, d]·(x[n, d] − means[k, d])²; means and
    /// precisions [K, D], offsets [K].
    public func gaussianLogDensity(means: Tensor, precisions: Tensor, offsets: Tensor) throws -> Tensor {
        try requireFloat("gaussianLogDensity")
        for t in [means, precisions, offsets] {
            try requireSameDevice(t, "gaussianLogDensity")
            try t.requireFloat("gaussianLogDensity")
        }
        guard rank == 2, means.rank == 2, means.shape[1] == shape[1], precisions.shape == means.shape,
            offsets.shape == [means.shape[0]]
        else {
            throw ComputeError.shapeMismatch(
                "gaussianLogDensity of rows \(shape) needs means and precisions [K, \(shape.last ?? 0)] and offsets [K], got \(means.shape), \(precisions.shape), \(offsets.shape)"
            )
        }
        let out = try Tensor.empty([shape[0], means.shape[0]], on: device)
        try device.gaussianLogDensity(
            buffer, means: means.buffer, precisions: precisions.buffer, offsets: offsets.buffer, out.buffer,
            count: shape[0], components: means.shape[0], dimension: shape[1])
        return out
    }

    /// The E-step of a diagonal mixture in one kernel: with l = `gaussianLogDensity(...)`, the
    /// responsibilities [N, K] = exp(l − logsumexp(l)) and the row log-likelihoods [N] = logsumexp(l)
    /// over the K components.
    public func gaussianResponsibilities(means: Tensor, precisions: Tensor, offsets: Tensor) throws
        -> (responsibilities: Tensor, logLikelihood: Tensor)
    {
        try requireFloat("gaussianResponsibilities")
        for t in [means, precisions, offsets] {
            try requireSameDevice(t, "gaussianResponsibilities")
            try t.requireFloat("gaussianResponsibilities")
        }
        guard rank == 2, means.rank == 2, means.shape[1] == shape[1], precisions.shape == means.shape,
            offsets.shape == [means.shape[0]]
        else {
            throw ComputeError.shapeMismatch(
                "gaussianResponsibilities of rows \(shape) needs means and precisions [K, \(shape.last ?? 0)] and offsets [K], got \(means.shape), \(precisions.shape), \(offsets.shape)"
            )
        }
        let out = try Tensor.empty([shape[0], means.shape[0]], on: device)
        let logLikelihood = try Tensor.empty([shape[0]], on: device)
        try device.gaussianResponsibilities(
            buffer, means: means.buffer, precisions: precisions.buffer, offsets: offsets.buffer, out.buffer,
            logLikelihood: logLikelihood.buffer, count: shape[0], components: means.shape[0], dimension: shape[1])
        return (out, logLikelihood)
    }

    /// The weighted scatter of the rows of self [N, D] about K means [K, D] with weights [N, K]:
    /// out [K, D] with out[k, d] = Σ_n weights[n, k]·(x[n, d] − means[k, d])².
    public func gaussianScatter(weights: Tensor, means: Tensor) throws -> Tensor {
        try requireFloat("gaussianScatter")
        for t in [weights, means] {
            try requireSameDevice(t, "gaussianScatter")
            try t.requireFloat("gaussianScatter")
        }
        guard rank == 2, means.rank == 2, means.shape[1] == shape[1], weights.shape == [shape[0], means.shape[0]] else {
            throw ComputeError.shapeMismatch(
                "gaussianScatter of rows \(shape) needs weights [\(shape.first ?? 0), K] and means [K, \(shape.last ?? 0)], got \(weights.shape), \(means.shape)"
            )
        }
        let out = try Tensor.empty(means.shape, on: device)
        try device.gaussianScatter(
            buffer, weights: weights.buffer, means: means.buffer, out.buffer,
            count: shape[0], components: means.shape[0], dimension: shape[1])
        return out
    }

    /// The responsibility-weighted first and zeroth moments of the rows of self [N, D] with weights
    /// [N, K], in one pass: out [K, D + 1] with out[k, d] = Σ_n weights[n, k]·x[n, d] for d < D and
    /// out[k, D] = Σ_n weights[n, k] (the M-step's rᵀx and n_k).
    public func gaussianMoments(weights: Tensor) throws -> Tensor {
        try requireFloat("gaussianMoments")
        try requireSameDevice(weights, "gaussianMoments")
        try weights.requireFloat("gaussianMoments")
        guard rank == 2, weights.rank == 2, weights.shape[0] == shape[0] else {
            throw ComputeError.shapeMismatch("gaussianMoments of rows \(shape) needs weights [\(shape.first ?? 0), K], got \(weights.shape)")
        }
        let out = try Tensor.empty([weights.shape[1], shape[1] + 1], on: device)
        try device.gaussianMoments(
            buffer, weights: weights.buffer, out.buffer, count: shape[0], components: weights.shape[1], dimension: shape[1])
        return out
    }
}
