import Foundation

/// Samples prepared once for the E- and M-steps on their device.
///
/// The data is centred on its column mean before any GEMM: the expanded Mahalanobis form
/// x²·p − 2x·μ·p + μ²·p cancels badly in Float32 far from the origin, and a shift changes no
/// responsibility (means are shifted back on the host, in Float64).
struct GaussianMixtureData {
    let samples: Int
    let features: Int
    /// The column means subtracted (D, Float64 on the host).
    let center: [Double]
    /// x − center (N × D).
    let centered: Tensor
    /// [(x − center)², x − center] (N × 2D), the diag/spherical GEMM operand; nil for full/tied.
    let squaresAndValues: Tensor?
    /// Each feature's mean of (x − center)² (D), the scale of the data against which a variance is
    /// judged (see `GaussianMixtureDirectDifferences`).
    let secondMoments: [Double]

    init(_ x: Tensor, covarianceType: GaussianCovarianceType) throws {
        guard x.rank == 2 else {
            throw GaussianMixtureError.invalidParameter("the data must be a matrix of samples × features, got shape \(x.shape)")
        }
        samples = x.shape[0]
        features = x.shape[1]
        guard samples > 0, features > 0 else {
            throw GaussianMixtureError.invalidParameter("the data is empty (shape \(x.shape))")
        }
        try Self.requireFinite(x)
        let mean = try x.mean(axis: 0, keepDims: true)
        center = try mean.toArray().map(Double.init)
        centered = try x - mean
        secondMoments = try centered.square().mean(axis: 0).toArray().map(Double.init)
        if covarianceType == .diag || covarianceType == .spherical {
            squaresAndValues = try Tensor.concat([centered.square(), centered], axis: 1)
        } else {
            squaresAndValues = nil
        }
    }

    /// One device sum finds a NaN or infinity; only then are the values read back to name one.
    static func requireFinite(_ x: Tensor) throws {
        let total = try x.sum().item()
        guard !total.isFinite else { return }
        let values = try x.toArray()
        if let bad = values.firstIndex(where: { !$0.isFinite }) { throw GaussianMixtureError.nonFiniteData(sample: bad / x.shape[1], feature: bad % x.shape[1]) }
        // The sum overflowed although every value is finite: fine.
    }

    /// The means relative to `center`, as Float32 (K × D).
    func centeredMeans(_ p: GaussianMixtureParameters) -> [Double] {
        (0..<p.means.count).map { p.means[$0] - center[$0 % features] }
    }
}
