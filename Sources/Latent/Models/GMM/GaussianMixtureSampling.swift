extension GaussianMixture {
    /// Draws `count` samples (count × D) and their components (Int32, sorted by component, as
    /// scikit-learn). Component choices use host Philox uniforms and the Gaussian noise
    /// `Tensor.randomNormal`, both indexed by `seed`, so every backend draws the same numbers.
    public func sample(count: Int, seed: UInt64, on device: any Device) throws -> (samples: Tensor, components: [Int32]) {
        guard let p = parameters else { throw GaussianMixtureError.notFitted }
        guard count >= 1 else { throw GaussianMixtureError.invalidParameter("the number of samples must be at least 1, not \(count)") }
        let (k, d) = (p.components, p.features)
        // Multinomial counts: each draw picks the first component whose cumulative weight exceeds u.
        var perComponent = [Int](repeating: 0, count: k)
        let total = p.weights.reduce(0, +)
        for i in 0..<count {
            let u = Double(NoiseSampler.uniform(seed: seed, element: UInt64(i))) * total
            var (c, cumulative) = (0, p.weights[0])
            while c < k - 1, u >= cumulative {
                c += 1
                cumulative += p.weights[c]
            }
            perComponent[c] += 1
        }
        let noise = try Tensor.randomNormal([count, d], seed: seed, offset: UInt64(count), on: device)
        var parts: [Tensor] = []
        var start = 0
        for c in 0..<k where perComponent[c] > 0 {
            let rows = try noise.slice(axis: 0, start..<(start + perComponent[c]))
            start += perComponent[c]
            let mean = try Tensor(p.means[(c * d)..<((c + 1) * d)].map(Float.init), shape: [d], on: device)
            parts.append(try scaled(rows, component: c, p) + mean)
        }
        let labels = (0..<k).flatMap { [Int32](repeating: Int32($0), count: perComponent[$0]) }
        return (try Tensor.concat(parts, axis: 0), labels)
    }

    /// Standard-normal rows z mapped to N(0, Σ_c): z·Lᵀ with L = cholesky(Σ_c), or z·σ.
    func scaled(_ z: Tensor, component c: Int, _ p: GaussianMixtureParameters) throws -> Tensor {
        let d = p.features
        switch p.covarianceType {
        case .full, .tied:
            let offset = p.covarianceType == .full ? c * d * d : 0
            guard let l = HostLinearAlgebra.cholesky(p.covariances[offset..<(offset + d * d)], n: d) else {
                throw GaussianMixtureError.notPositiveDefinite(component: p.covarianceType == .full ? c : nil, regCovar: configuration.regCovar)
            }
            return try z.matmul(Tensor(l.map(Float.init), shape: [d, d], on: z.device), transposeOther: true)
        case .diag:
            return try z * Tensor(p.covariances[(c * d)..<((c + 1) * d)].map { Float($0.squareRoot()) }, shape: [d], on: z.device)
        case .spherical:
            return try z * Float(p.covariances[c].squareRoot())
        }
    }
}
