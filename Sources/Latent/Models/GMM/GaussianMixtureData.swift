import Foundation

/// Samples prepared once for the E- and M-steps on their device.
///
/// The data is shifted before any GEMM: Float32 sums such as rᵀx lose digits far from the origin,
/// and a shift changes no responsibility (means are shifted back on the host, in Float64).
/// `full`/`tied` use the column means; `diag`/`spherical` the column medians, which keep sparse
/// data (Fashion-MNIST's mostly-zero pixels) at exactly 0. (`diag`/`spherical` densities and
/// variances come from explicit differences x − μ in the fused mixture kernels.)
struct GaussianMixtureData {
    let samples: Int
    let features: Int
    /// The column means or medians subtracted (D, Float64 on the host).
    let center: [Double]
    /// x − center (N × D).
    let centered: Tensor

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
        let shift: Tensor
        if covarianceType == .diag || covarianceType == .spherical {
            let medians = Self.columnMedians(try x.toArray(), columns: features)
            shift = try Tensor(medians, shape: [1, features], on: x.device)
        } else {
            shift = try x.mean(axis: 0, keepDims: true)
        }
        center = try shift.toArray().map(Double.init)
        centered = try x - shift
    }

    /// The lower median of each column of a row-major matrix (quickselect per column, on a copy
    /// transposed in 32 × 32 tiles: gathering a column of 784 pixels row by row touched a new cache
    /// line per value).
    static func columnMedians(_ values: [Float], columns: Int) -> [Float] {
        let rows = values.count / columns
        var transposed = [Float](repeating: 0, count: values.count)
        let tile = 32
        for i0 in stride(from: 0, to: rows, by: tile) {
            for j0 in stride(from: 0, to: columns, by: tile) {
                for i in i0..<min(rows, i0 + tile) {
                    for j in j0..<min(columns, j0 + tile) { transposed[j * rows + i] = values[i * columns + j] }
                }
            }
        }
        return (0..<columns).map { j in
            var column = Array(transposed[(j * rows)..<((j + 1) * rows)])
            let target = (rows - 1) / 2
            var (low, high) = (0, rows - 1)
            while low < high {
                let pivot = column[(low + high) / 2]
                var (i, k) = (low, high)
                while i <= k {
                    while column[i] < pivot { i += 1 }
                    while column[k] > pivot { k -= 1 }
                    if i <= k {
                        column.swapAt(i, k)
                        i += 1
                        k -= 1
                    }
                }
                if target <= k { high = k } else if target >= i { low = i } else { break }
            }
            return column[target]
        }
    }

    /// One device sum finds a NaN or infinity; only then are the values read back to name one.
    static func requireFinite(_ x: Tensor) throws {
        let total = try x.sum().item()
        guard !total.isFinite else { return }
        let values = try x.toArray()
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw GaussianMixtureError.nonFiniteData(sample: bad / x.shape[1], feature: bad % x.shape[1])
        }
        // The sum overflowed although every value is finite: fine.
    }

    /// The means relative to `center`, as Float32 (K × D).
    func centeredMeans(_ p: GaussianMixtureParameters) -> [Double] {
        (0..<p.means.count).map { p.means[$0] - center[$0 % features] }
    }
}
