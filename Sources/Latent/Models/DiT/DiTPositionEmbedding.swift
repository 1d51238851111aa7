import Foundation

/// The fixed 2-D sin-cos position embedding of the official DiT (MAE's `get_2d_sincos_pos_embed`),
/// computed in Float64 and rounded once like numpy → float32: token (row i, column j) gets
/// [1-D(D/2, j), 1-D(D/2, i)] with 1-D(d, p) = [sin(p·ω_0 … p·ω_{d/2−1}), cos(…)], ω_k = 10000^(−2k/d).
/// (The official code takes the column coordinate first, a consequence of meshgrid(w, h).)
public enum DiTPositionEmbedding {
    public static func values(dimension: Int, gridSize: Int) -> [Float] {
        let half = dimension / 2, quarter = half / 2
        let omega = (0..<quarter).map { 1 / Foundation.pow(10000.0, Double($0) / Double(quarter)) }
        var out = [Float](repeating: 0, count: gridSize * gridSize * dimension)
        for i in 0..<gridSize {
            for j in 0..<gridSize {
                let row = (i * gridSize + j) * dimension
                for (part, position) in [Double(j), Double(i)].enumerated() {
                    let base = row + part * half
                    for (k, w) in omega.enumerated() {
                        out[base + k] = Float(Foundation.sin(position * w))
                        out[base + quarter + k] = Float(Foundation.cos(position * w))
                    }
                }
            }
        }
        return out
    }
}
