import Foundation

/// A Gaussian mixture fitted by EM, with scikit-learn's `GaussianMixture` semantics: covariance
/// types, initialisations, `n_init`, `tol`, `max_iter`, `reg_covar`, `warm_start`, the convergence
/// warning, and a final E-step so that `fitPredict(x)` equals `fit(x)` then `predict(x)`.
///
/// Data is a Float32 tensor (N × D) on any device; the E- and M-step GEMMs and reductions run there
/// (`GaussianMixtureEStep`, `GaussianMixtureMStep`), the K small Cholesky factorisations on the
/// host in Float64 (`HostLinearAlgebra`), and the lower bound is accumulated in Float64.
public final class GaussianMixture {
    /// The checkpoint `model_type`.
    public static let modelType = "gmm"

    public let configuration: GaussianMixtureConfiguration
    /// Initial means (K × D, like scikit-learn's `means_init`): each sample starts assigned to its
    /// nearest mean, weights and covariances follow from that, and the means are these.
    public var initialMeans: [Double]?
    /// The fitted (or loaded) parameters; nil before `fit`.
    public private(set) var parameters: GaussianMixtureParameters?
    /// Whether the kept initialisation converged (its lower bound changed by less than `tol`).
    public internal(set) var converged = false
    /// EM iterations of the kept initialisation.
    public internal(set) var iterations = 0
    /// The kept initialisation's final lower bound (mean log-likelihood per sample, nats).
    public internal(set) var lowerBound = -Double.infinity
    /// The kept initialisation's lower bound after each iteration.
    public private(set) var lowerBounds: [Double] = []
    /// scikit-learn's ConvergenceWarning text when the kept initialisation did not converge, else nil.
    public private(set) var convergenceWarning: String?

    public init(_ configuration: GaussianMixtureConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
    }

    /// A mixture with known parameters (from a checkpoint), ready to predict, score and sample.
    public init(_ configuration: GaussianMixtureConfiguration, parameters: GaussianMixtureParameters) throws {
        try configuration.validate()
        self.configuration = configuration
        self.parameters = parameters
    }

    /// Fits the mixture to `x` (N × D).
    public func fit(_ x: Tensor) throws {
        _ = try fitPredict(x)
    }

    /// Fits the mixture to `x` and returns each sample's component (Int32, N) from a final E-step.
    @discardableResult
    public func fitPredict(_ x: Tensor) throws -> Tensor {
        let c = configuration
        let data = try GaussianMixtureData(x, covarianceType: c.covarianceType)
        guard data.samples >= c.components else {
            throw GaussianMixtureError.tooFewSamples(samples: data.samples, components: c.components)
        }
        if let initialMeans, initialMeans.count != c.components * data.features {
            throw GaussianMixtureError.invalidParameter(
                "means_init holds \(initialMeans.count) values, not n_components × features = \(c.components * data.features)")
        }
        let reuse = c.warmStart && parameters != nil
        if reuse, parameters!.features != data.features {
            throw GaussianMixtureError.featureMismatch(expected: parameters!.features, found: data.features)
        }
        var best: (parameters: GaussianMixtureParameters, bound: Double, bounds: [Double], iterations: Int, converged: Bool)?
        for attempt in 0..<(reuse ? 1 : c.initializations) {
            var current = reuse ? parameters! : try initialParameters(data, attempt: attempt)
            var bound = reuse ? lowerBound : -Double.infinity
            var bounds: [Double] = []
            var hasConverged = false
            var iteration = 0
            while iteration < c.maxIterations {
                iteration += 1
                let previous = bound
                let (logLikelihood, responsibilities) = try GaussianMixtureEStep.responsibilities(data, current)
                current = try GaussianMixtureMStep.parameters(
                    data, responsibilities: responsibilities,
                    type: c.covarianceType, regCovar: c.regCovar)
                bound = try GaussianMixtureEStep.mean(logLikelihood)
                bounds.append(bound)
                if Swift.abs(bound - previous) < c.tolerance {
                    hasConverged = true
                    break
                }
            }
            if best == nil || bound > best!.bound {
                best = (current, bound, bounds, iteration, hasConverged)
            }
        }
        let kept = best!
        parameters = kept.parameters
        lowerBound = kept.bound
        lowerBounds = kept.bounds
        iterations = kept.iterations
        converged = kept.converged
        convergenceWarning =
            !converged && c.maxIterations > 0
            ? "Best performing initialization did not converge. Try different init parameters, or increase max_iter, tol, or check for degenerate data."
            : nil
        // The final E-step: labels consistent with `predict` for any max_iter and tol.
        return try GaussianMixtureEStep.weightedLogProbabilities(data, kept.parameters).reduce(.argmax, axis: 1)
    }

    func initialParameters(_ data: GaussianMixtureData, attempt: Int) throws -> GaussianMixtureParameters {
        let c = configuration
        let initializer = GaussianMixtureInitializer(data: data, components: c.components, seed: c.seed, attempt: attempt)
        let responsibilities =
            try initialMeans.map { try initializer.responsibilities(nearest: $0) }
            ?? initializer.responsibilities(c.initialization)
        var p = try GaussianMixtureMStep.parameters(
            data, responsibilities: responsibilities, type: c.covarianceType,
            regCovar: c.regCovar, normalizeWeights: false)
        if let initialMeans { p.means = initialMeans }
        return p
    }

    func fitted(_ x: Tensor) throws -> (GaussianMixtureParameters, GaussianMixtureData) {
        guard let parameters else { throw GaussianMixtureError.notFitted }
        let data = try GaussianMixtureData(x, covarianceType: parameters.covarianceType)
        guard data.features == parameters.features else {
            throw GaussianMixtureError.featureMismatch(expected: parameters.features, found: data.features)
        }
        return (parameters, data)
    }

    /// Each sample's most probable component (Int32, N).
    public func predict(_ x: Tensor) throws -> Tensor {
        let (p, data) = try fitted(x)
        return try GaussianMixtureEStep.weightedLogProbabilities(data, p).reduce(.argmax, axis: 1)
    }

    /// Each sample's posterior component probabilities (N × K).
    public func predictProba(_ x: Tensor) throws -> Tensor {
        let (p, data) = try fitted(x)
        return try GaussianMixtureEStep.responsibilities(data, p).responsibilities
    }

    /// Each sample's log-likelihood log p(x_n) in nats (N).
    public func scoreSamples(_ x: Tensor) throws -> Tensor {
        let (p, data) = try fitted(x)
        return try GaussianMixtureEStep.weightedLogProbabilities(data, p).logsumexp(axis: 1)
    }

    /// The mean log-likelihood per sample in nats (accumulated in Float64).
    public func score(_ x: Tensor) throws -> Double {
        try GaussianMixtureEStep.mean(scoreSamples(x))
    }

    /// The Bayesian information criterion on `x` (lower is better).
    public func bic(_ x: Tensor) throws -> Double {
        let n = Double(x.shape.first ?? 0)
        return try -2 * score(x) * n + Double(parameters?.freeParameterCount ?? 0) * Foundation.log(n)
    }

    /// The Akaike information criterion on `x` (lower is better).
    public func aic(_ x: Tensor) throws -> Double {
        let n = Double(x.shape.first ?? 0)
        return try -2 * score(x) * n + 2 * Double(parameters?.freeParameterCount ?? 0)
    }
}
