import Foundation

/// A fitted mixture as a Latent checkpoint (`model_type` "gmm"): tensors `weights` (K), `means`
/// (K × D), `covariances` and `precisions_cholesky` (shape by covariance type), all F64; the
/// configuration as `model_config` JSON; `lower_bound`, `n_iter` and `converged` in the metadata.
extension GaussianMixture {
    static func configJSON(_ c: GaussianMixtureConfiguration) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(c), as: UTF8.self)
    }

    /// The fitted mixture as a checkpoint (throws `notFitted` before `fit`).
    public func checkpoint(extra: [String: String] = [:]) throws -> Checkpoint {
        guard let p = parameters else { throw GaussianMixtureError.notFitted }
        func f64(_ values: [Double], _ shape: [Int]) throws -> SafeTensor {
            try SafeTensor(dtype: .f64, shape: shape, bytes: values.withUnsafeBytes { Array($0) })
        }
        let weights: [String: SafeTensor] = [
            "weights": try f64(p.weights, [p.components]),
            "means": try f64(p.means, [p.components, p.features]),
            "covariances": try f64(p.covariances, p.covarianceShape),
            "precisions_cholesky": try f64(p.precisionsCholesky, p.covarianceShape),
        ]
        var metadata = extra
        metadata["lower_bound"] = String(lowerBound)
        metadata["n_iter"] = String(iterations)
        metadata["converged"] = String(converged)
        return Checkpoint(
            weights: weights, modelType: Self.modelType, modelConfig: try Self.configJSON(configuration),
            step: iterations, rng: RandomState(seed: configuration.seed), extra: metadata)
    }

    /// A mixture from a "gmm" checkpoint; `path` labels errors.
    public static func load(_ file: Checkpoint, path: String) throws -> GaussianMixture {
        guard file.modelType == modelType else {
            throw FileError(.mismatch, path: path, "a \(file.modelType) checkpoint, not a Gaussian mixture")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let configuration: GaussianMixtureConfiguration
        do {
            configuration = try decoder.decode(GaussianMixtureConfiguration.self, from: Data(file.modelConfig.utf8))
        } catch {
            throw FileError(.malformed, path: path, "the Gaussian mixture configuration in model_config is not readable")
        }
        func values(_ name: String) throws -> (values: [Double], shape: [Int]) {
            guard let t = file.weights[name] else { throw FileError(.malformed, path: path, "the Gaussian mixture lacks \"\(name)\"") }
            guard t.dtype == .f64 else { return (try t.floats().map(Double.init), t.shape) }
            let doubles = t.bytes.withUnsafeBytes { raw in
                (0..<(raw.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) }
            }
            return (doubles, t.shape)
        }
        let weights = try values("weights"), means = try values("means"), covariances = try values("covariances")
        guard weights.shape == [configuration.components], means.shape.count == 2, means.shape[0] == configuration.components else {
            throw FileError(
                .malformed, path: path,
                "Gaussian mixture tensors of shapes \(weights.shape), \(means.shape) for \(configuration.components) components")
        }
        let parameters = try GaussianMixtureParameters(
            covarianceType: configuration.covarianceType, weights: weights.values,
            means: means.values, covariances: covariances.values,
            regCovar: configuration.regCovar)
        let mixture = try GaussianMixture(configuration, parameters: parameters)
        mixture.lowerBound = Double(file.extra["lower_bound"] ?? "") ?? -.infinity
        mixture.iterations = file.step
        mixture.converged = file.extra["converged"] == "true"
        return mixture
    }
}
