import LatentCompute

/// One invertible layer of a normalizing flow.
public protocol FlowLayer: Module {
    /// y = f(x) and the per-image log|det ∂f/∂x| [N].
    func forward(_ x: Tensor) throws -> (y: Tensor, logDet: Tensor)
    /// x = f⁻¹(y).
    func inverse(_ y: Tensor) throws -> Tensor
}

extension Tensor {
    /// Per-image sums of a batch [N, ...] → [N].
    func sumPerImage() throws -> Tensor { try reshaped([shape[0], -1]).sum(axis: 1) }

    /// Glow's squeeze: [N, C, H, W] → [N, 4C, H/2, W/2], each 2×2 block of a channel becomes 4 channels.
    func squeezed2x2() throws -> Tensor {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        guard h % 2 == 0, w % 2 == 0 else {
            throw ComputeError.shapeMismatch("flow squeeze needs an even height and width, got \(shape)")
        }
        return try reshaped([n, c, h / 2, 2, w / 2, 2]).permuted([0, 1, 3, 5, 2, 4]).reshaped([n, 4 * c, h / 2, w / 2])
    }

    /// The inverse of `squeezed2x2()`: [N, 4C, H, W] → [N, C, 2H, 2W].
    func unsqueezed2x2() throws -> Tensor {
        let (n, c, h, w) = (shape[0], shape[1] / 4, shape[2], shape[3])
        return try reshaped([n, c, 2, 2, h, w]).permuted([0, 1, 4, 2, 5, 3]).reshaped([n, c, 2 * h, 2 * w])
    }
}

/// A per-image log-determinant that is the same for every image: `value` (a scalar tensor) repeated N times.
func repeatedLogDet(_ value: Tensor, images: Int) throws -> Tensor {
    try value.reshaped([1]).expanded(to: [images])
}
