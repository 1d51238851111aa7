import Foundation
import LatentCompute

/// RealNVP's logit transform of dequantised pixels v ∈ (0, 1): y = logit(α + (1 − 2α)·v), with
/// log|dy/dv| = log(1 − 2α) − log p − log(1 − p), p = α + (1 − 2α)·v, summed per image.
public struct LogitTransform: Sendable {
    public let alpha: Float

    public init(alpha: Float) { self.alpha = alpha }

    public func forward(_ v: Tensor) throws -> (y: Tensor, logDet: Tensor) {
        let p = try v.affine(scale: 1 - 2 * alpha, shift: alpha)
        let logP = try p.log(), log1mP = try p.affine(scale: -1, shift: 1).log()
        let y = try logP - log1mP
        let perPixel = Float(Foundation.log(1 - 2 * Double(alpha)))
        let logDet = try (logP + log1mP).sumPerImage().affine(scale: -1, shift: perPixel * Float(v.count / v.shape[0]))
        return (y, logDet)
    }

    /// v = (sigmoid(y) − α)/(1 − 2α).
    public func inverse(_ y: Tensor) throws -> Tensor {
        try y.sigmoid().affine(scale: 1 / (1 - 2 * alpha), shift: -alpha / (1 - 2 * alpha))
    }

    /// Uniform dequantisation of 8-bit pixels given in [0, 1] as k/255: v = (k + u)/256, u ~ U[0, 1).
    public static func dequantize(_ images: Tensor, uniform u: Tensor) throws -> Tensor {
        try images.affine(scale: 255 / 256) + u.affine(scale: 1 / 256)
    }
}
