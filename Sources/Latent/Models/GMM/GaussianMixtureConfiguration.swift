/// The shape of each component's covariance, as scikit-learn's `covariance_type`.
public enum GaussianCovarianceType: String, Sendable, CaseIterable, Codable {
    /// Each component has its own general covariance matrix (K × D × D).
    case full
    /// All components share one general covariance matrix (D × D).
    case tied
    /// Each component has its own diagonal covariance (K × D).
    case diag
    /// Each component has its own single variance (K).
    case spherical
}

/// How the responsibilities of the first EM step are chosen, as scikit-learn's `init_params`.
public enum GaussianMixtureInitialization: String, Sendable, CaseIterable, Codable {
    /// Hard labels from Lloyd's k-means (k-means++ seeding, one run).
    case kmeans
    /// Hard labels at the k-means++ seeds.
    case kmeansPlusPlus = "k-means++"
    /// Uniform random responsibilities, normalised per sample.
    case random
    /// Each component starts at one distinct, randomly chosen sample.
    case randomFromData = "random_from_data"
}

/// The hyper-parameters of a Gaussian mixture fit, with scikit-learn's names and defaults.
public struct GaussianMixtureConfiguration: Sendable, Equatable, Codable {
    /// K, the number of mixture components.
    public var components: Int
    public var covarianceType: GaussianCovarianceType
    /// EM stops when the mean log-likelihood lower bound changes by less than this.
    public var tolerance: Double
    /// Added to the covariance diagonals so they stay positive definite.
    public var regCovar: Double
    /// EM iterations per initialisation.
    public var maxIterations: Int
    /// Initialisations tried; the one with the best final lower bound is kept.
    public var initializations: Int
    public var initialization: GaussianMixtureInitialization
    /// Seed of every random choice (initialisation and sampling).
    public var seed: UInt64
    /// Start a new `fit` from the current parameters (one initialisation) instead of a fresh one.
    public var warmStart: Bool

    public init(
        components: Int = 1, covarianceType: GaussianCovarianceType = .full, tolerance: Double = 1e-3,
        regCovar: Double = 1e-6, maxIterations: Int = 100, initializations: Int = 1,
        initialization: GaussianMixtureInitialization = .kmeans, seed: UInt64 = 0, warmStart: Bool = false
    ) {
        self.components = components
        self.covarianceType = covarianceType
        self.tolerance = tolerance
        self.regCovar = regCovar
        self.maxIterations = maxIterations
        self.initializations = initializations
        self.initialization = initialization
        self.seed = seed
        self.warmStart = warmStart
    }

    /// Throws a one-line error for values EM cannot run with.
    public func validate() throws {
        guard components >= 1 else { throw GaussianMixtureError.invalidParameter("n_components must be >= 1, not \(components)") }
        guard tolerance >= 0 else { throw GaussianMixtureError.invalidParameter("tol must be >= 0, not \(tolerance)") }
        guard regCovar >= 0 else { throw GaussianMixtureError.invalidParameter("reg_covar must be >= 0, not \(regCovar)") }
        guard maxIterations >= 0 else { throw GaussianMixtureError.invalidParameter("max_iter must be >= 0, not \(maxIterations)") }
        guard initializations >= 1 else { throw GaussianMixtureError.invalidParameter("n_init must be >= 1, not \(initializations)") }
    }
}
