/// Why a Gaussian mixture cannot be fitted or used; each description is one line a user can act on.
public enum GaussianMixtureError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(String)
    /// Fewer samples than components.
    case tooFewSamples(samples: Int, components: Int)
    /// The data holds a NaN or an infinity (the first one, by sample and feature).
    case nonFiniteData(sample: Int, feature: Int)
    /// Data of another width than the fitted means.
    case featureMismatch(expected: Int, found: Int)
    /// A covariance that is not positive definite after `reg_covar` was added (nil: the tied one).
    case notPositiveDefinite(component: Int?, regCovar: Double)
    /// `predict`, `score`, `sample`… before `fit`.
    case notFitted

    public var description: String {
        switch self {
        case .invalidParameter(let text): return text
        case .tooFewSamples(let samples, let components):
            return "n_components = \(components) is more than the \(samples) samples; use at most \(samples) components"
        case .nonFiniteData(let sample, let feature):
            return "the data holds a NaN or infinite value (sample \(sample), feature \(feature)); clean or drop such samples before fitting"
        case .featureMismatch(let expected, let found):
            return "the data has \(found) features per sample, the mixture was fitted on \(expected)"
        case .notPositiveDefinite(let component, let regCovar):
            let which = component.map { "component \($0)" } ?? "the tied covariance"
            return "the covariance of \(which) is not positive definite after reg_covar = \(regCovar) "
                + "(collapsed or singleton samples); raise reg_covar (e.g. --reg-covar 1e-3), use fewer components, or scale the data"
        case .notFitted: return "the Gaussian mixture is not fitted yet; call fit first"
        }
    }
}
