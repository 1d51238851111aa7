import Foundation
import LatentCompute

/// The sinusoidal timestep embedding of the reference (`timestep_embedding`): for dim = 2h,
/// [sin(t·w_0 … t·w_{h−1}), cos(…)] with w_i = exp(−ln(10⁴)·i/(h − 1)).
///
/// Computed on the host in Float32 with the reference's operation order (the batch's handful of t
/// values make this a few hundred sin/cos), then uploaded: [B, dim].
public enum TimestepEmbedding {
    public static func values(_ timesteps: [Int], dimension: Int) -> [Float] {
        let half = dimension / 2
        return SinusoidalEmbedding.rows(timesteps, dimension: dimension, denominator: Swift.max(half - 1, 1), cosineFirst: false)
    }

    public static func tensor(_ timesteps: [Int], dimension: Int, on device: any Device) throws -> Tensor {
        try Tensor(values(timesteps, dimension: dimension), shape: [timesteps.count, dimension], on: device)
    }
}

/// Sinusoidal rows shared by the U-Net's and DiT's timestep embeddings, in Float32 with torch's
/// operation order: w_i = exp(Float(−ln 10⁴) · i / denominator) for i < dimension/2, then
/// [sin(t·w), cos(t·w)] per row ([cos, sin] with `cosineFirst`); a zero column for odd dimensions.
enum SinusoidalEmbedding {
    static func rows(_ timesteps: [Int], dimension: Int, denominator: Int, cosineFirst: Bool) -> [Float] {
        let half = dimension / 2
        let scale = Float(-Foundation.log(10000.0))
        let frequencies = (0..<half).map { Foundation.exp(scale * Float($0) / Float(denominator)) }
        var out = [Float](repeating: 0, count: timesteps.count * dimension)
        for (row, t) in timesteps.enumerated() {
            for (i, w) in frequencies.enumerated() {
                let argument = Float(t) * w
                let (sine, cosine) = (Foundation.sin(argument), Foundation.cos(argument))
                out[row * dimension + i] = cosineFirst ? cosine : sine
                out[row * dimension + half + i] = cosineFirst ? sine : cosine
            }
        }
        return out
    }
}

/// The sinusoidal embeddings of timesteps 0..<rows on one device, uploaded once: a batch that
/// shares one timestep (every sampler step) takes its row in one launch, with no upload.
final class TimestepEmbeddingTable {
    private var table: Tensor?
    private let dimension: Int

    init(dimension: Int) { self.dimension = dimension }

    /// [B, dimension] for `timesteps`: from the table when they are all equal, else uploaded.
    func embeddings(_ timesteps: [Int], on device: any Device) throws -> Tensor {
        guard let t = timesteps.first, t >= 0, timesteps.allSatisfy({ $0 == t }) else {
            return try TimestepEmbedding.tensor(timesteps, dimension: dimension, on: device)
        }
        let rows = try self.rows(covering: t, on: device)
        return try rows.repeatingRow(t, count: timesteps.count)
    }

    /// The table, rebuilt (at least 1000 rows, the usual T) when it lacks row t or lives elsewhere.
    private func rows(covering t: Int, on device: any Device) throws -> Tensor {
        if let table, table.device === device, t < table.shape[0] { return table }
        let count = Swift.max(1000, t + 1)
        let built = try TimestepEmbedding.tensor(Array(0..<count), dimension: dimension, on: device)
        table = built
        return built
    }
}
