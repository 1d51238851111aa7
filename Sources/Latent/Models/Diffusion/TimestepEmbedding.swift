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
        // torch: exp(Float(−ln 10⁴) · arange(half) / (half − 1)), all in float32.
        let scale = Float(-Foundation.log(10000.0))
        let frequencies = (0..<half).map { Foundation.exp(scale * Float($0) / Float(Swift.max(half - 1, 1))) }
        var out = [Float](repeating: 0, count: timesteps.count * dimension)
        for (row, t) in timesteps.enumerated() {
            for (i, w) in frequencies.enumerated() {
                let argument = Float(t) * w
                out[row * dimension + i] = Foundation.sin(argument)
                out[row * dimension + half + i] = Foundation.cos(argument)
            }
        }
        return out
    }

    public static func tensor(_ timesteps: [Int], dimension: Int, on device: any Device) throws -> Tensor {
        try Tensor(values(timesteps, dimension: dimension), shape: [timesteps.count, dimension], on: device)
    }
}
