/// Σ_d p_kd·(x_nd − μ_kd)² (E-step) and Σ_n r_nk·(x_nd − μ_kd)² (M-step) for `diag`/`spherical`
/// from explicit differences, a few components at a time (N × chunk × D).
///
/// The GEMM forms expand the square (x²·p − 2x·μp + μ²·p), which in Float32 loses what the
/// variances resolve when a variance is tiny next to the data's spread: Fashion-MNIST's almost
/// constant border pixels give variances ~reg_covar = 1e-6 beside second moments ~0.1, and the
/// expanded sums come out negative. `neededFor…` pick this path only for such conditioning.
enum GaussianMixtureDirectDifferences {
    /// M-step: above this ratio of a component's second moment E_k[x²] to its variance, the
    /// expanded Float32 form E_k[x²] − μ² keeps fewer than ~3 of its 7 digits.
    static let momentLimit = 1e4
    /// E-step: above this ratio of μ² to the variance, the expanded terms x²p and μ²p of a sample
    /// near μ cancel to a rounding error of ~4·(μ²/σ²)·2⁻²⁴ nats per feature.
    static let meanLimit = 1e3
    /// Elements per N × chunk × D temporary (64 MiB of Float32).
    static let chunkElements = 16 << 20

    /// Whether M-step variances (K·D, before reg_covar) computed from second moments (K·D) lost too much.
    static func neededForVariances(_ variances: [Double], secondMoments: [Double]) -> Bool {
        zip(variances, secondMoments).contains { variance, moment in moment > momentLimit * variance }
    }

    /// Whether E-step terms for centred means (K × D) and variances (K·D, or K for spherical) cancel badly.
    static func neededForDensities(centeredMeans means: [Double], variances: [Double], features d: Int) -> Bool {
        let perComponent = variances.count == means.count ? 1 : d
        return means.indices.contains { i in means[i] * means[i] > meanLimit * variances[i / perComponent] }
    }

    static func chunks(_ data: GaussianMixtureData, components k: Int) -> [Range<Int>] {
        let size = Swift.max(1, Swift.min(k, chunkElements / Swift.max(1, data.samples * data.features)))
        return stride(from: 0, to: k, by: size).map { $0..<Swift.min(k, $0 + size) }
    }

    /// Σ_d p_kd (x_nd − μ_kd)² (N × K) for centred means and precisions (K × D, Float64 on the host).
    static func mahalanobis(_ data: GaussianMixtureData, centeredMeans means: [Double], precisions: [Double]) throws -> Tensor {
        let (n, d) = (data.samples, data.features)
        let k = means.count / d
        let device = data.centered.device
        let rows = try data.centered.reshaped([n, 1, d])
        let parts = try chunks(data, components: k).map { range -> Tensor in
            let slice = (range.lowerBound * d)..<(range.upperBound * d)
            let mu = try Tensor(means[slice].map(Float.init), shape: [range.count, d], on: device)
            let p = try Tensor(precisions[slice].map(Float.init), shape: [range.count, d], on: device)
            return try ((rows - mu).square() * p).sum(axis: 2)
        }
        return try parts.count == 1 ? parts[0] : Tensor.concat(parts, axis: 1)
    }

    /// Σ_n r_nk (x_nd − μ_kd)² (K × D, Float64) for centred means (K × D) and responsibilities (N × K).
    static func scatter(_ data: GaussianMixtureData, responsibilities r: Tensor, centeredMeans means: [Double]) throws -> [Double] {
        let (n, d) = (data.samples, data.features)
        let k = means.count / d
        let device = data.centered.device
        let rows = try data.centered.reshaped([n, 1, d])
        var out: [Double] = []
        for range in chunks(data, components: k) {
            let mu = try Tensor(means[(range.lowerBound * d)..<(range.upperBound * d)].map(Float.init), shape: [range.count, d], on: device)
            let weights = try r.slice(axis: 1, range).reshaped([n, range.count, 1])
            out += try ((rows - mu).square() * weights).sum(axis: 0).toArray().map(Double.init)
        }
        return out
    }
}
