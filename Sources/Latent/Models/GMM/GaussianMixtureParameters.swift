import Foundation

/// The fitted parameters of a Gaussian mixture, on the host in Float64, in scikit-learn's layouts.
///
/// `covariances` and `precisionsCholesky` hold K·D·D values (`full`), D·D (`tied`), K·D (`diag`) or
/// K (`spherical`), row-major. Each precision Cholesky factor U is upper-triangular with U·Uᵀ the
/// inverse of the covariance (for `diag`/`spherical`: 1/√variance).
public struct GaussianMixtureParameters: Sendable, Equatable {
    public var covarianceType: GaussianCovarianceType
    public var components: Int
    public var features: Int
    /// Mixing weights (K), summing to 1.
    public var weights: [Double]
    /// Component means (K × D).
    public var means: [Double]
    public var covariances: [Double]
    public var precisionsCholesky: [Double]

    /// Builds the parameters from weights, means and covariances, deriving the precision factors;
    /// throws `notPositiveDefinite` naming the first component whose covariance is not.
    public init(
        covarianceType: GaussianCovarianceType, weights: [Double], means: [Double], covariances: [Double],
        regCovar: Double = 0
    ) throws {
        let k = weights.count
        let d = k == 0 ? 0 : means.count / k
        self.covarianceType = covarianceType
        self.components = k
        self.features = d
        self.weights = weights
        self.means = means
        self.covariances = covariances
        guard covariances.count == Self.covarianceCount(covarianceType, components: k, features: d), means.count == k * d else {
            throw GaussianMixtureError.invalidParameter(
                "\(covarianceType.rawValue) covariances of \(covariances.count) values do not fit \(k) components of \(d) features")
        }
        switch covarianceType {
        case .full:
            var factors = [Double]()
            factors.reserveCapacity(k * d * d)
            for c in 0..<k {
                guard let u = HostLinearAlgebra.precisionCholesky(ofCovariance: covariances[(c * d * d)..<((c + 1) * d * d)], n: d) else {
                    throw GaussianMixtureError.notPositiveDefinite(component: c, regCovar: regCovar)
                }
                factors += u
            }
            precisionsCholesky = factors
        case .tied:
            guard let u = HostLinearAlgebra.precisionCholesky(ofCovariance: covariances[...], n: d) else {
                throw GaussianMixtureError.notPositiveDefinite(component: nil, regCovar: regCovar)
            }
            precisionsCholesky = u
        case .diag, .spherical:
            let perComponent = covarianceType == .diag ? d : 1
            if let bad = covariances.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                throw GaussianMixtureError.notPositiveDefinite(component: bad / perComponent, regCovar: regCovar)
            }
            precisionsCholesky = covariances.map { 1 / $0.squareRoot() }
        }
    }

    /// How many covariance values a mixture of this type holds.
    public static func covarianceCount(_ type: GaussianCovarianceType, components k: Int, features d: Int) -> Int {
        switch type {
        case .full: k * d * d
        case .tied: d * d
        case .diag: k * d
        case .spherical: k
        }
    }

    /// The covariances' array shape (for checkpoints).
    public var covarianceShape: [Int] {
        switch covarianceType {
        case .full: [components, features, features]
        case .tied: [features, features]
        case .diag: [components, features]
        case .spherical: [components]
        }
    }

    /// log det of each component's precision Cholesky factor (K values; the tied one repeated).
    var logDetPrecisionCholesky: [Double] {
        let (k, d) = (components, features)
        switch covarianceType {
        case .full:
            return (0..<k).map { c in (0..<d).reduce(0.0) { $0 + Foundation.log(precisionsCholesky[c * d * d + $1 * d + $1]) } }
        case .tied:
            let value = (0..<d).reduce(0.0) { $0 + Foundation.log(precisionsCholesky[$1 * d + $1]) }
            return [Double](repeating: value, count: k)
        case .diag:
            return (0..<k).map { c in (0..<d).reduce(0.0) { $0 + Foundation.log(precisionsCholesky[c * d + $1]) } }
        case .spherical:
            return precisionsCholesky.map { Double(d) * Foundation.log($0) }
        }
    }

    /// Free parameters (for BIC and AIC), as scikit-learn's `_n_parameters`.
    public var freeParameterCount: Int {
        let (k, d) = (Double(components), Double(features))
        let covariance: Double
        switch covarianceType {
        case .full: covariance = k * d * (d + 1) / 2
        case .diag: covariance = k * d
        case .tied: covariance = d * (d + 1) / 2
        case .spherical: covariance = k
        }
        return Int(covariance + d * k + k - 1)
    }
}
