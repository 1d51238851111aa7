import LatentCompute

/// Every gradient's sum and sum of squares from one fused pass (`Tensor.sumsAndSquares`: a launch
/// per 16 tensors on OpenCL, instead of two or three per tensor), for the two things a training
/// step checks on the device: are the gradients finite, and what is their global norm.
struct GradientSums {
    /// Σ over gradients of Σ g², one element.
    let squaredNorm: Tensor
    /// Σ over gradients of 0·Σ g, one element: 0 when every gradient's sum is finite and NaN
    /// otherwise (0·∞ = NaN), so loss + probe is the loss exactly or NaN.
    let finiteProbe: Tensor

    init(_ gradients: Gradients, parameters: [(String, Tensor)], on device: any Device) throws {
        let present = parameters.compactMap { gradients[$0.1] }
        guard !present.isEmpty else {
            (squaredNorm, finiteProbe) = (try Tensor.zeros([1], on: device), try Tensor.zeros([1], on: device))
            return
        }
        (squaredNorm, finiteProbe) = try withoutGrad {
            let sums = try Tensor.sumsAndSquares(of: present, on: device).reshaped([present.count, 2])
            let squares = try sums.slice(axis: 1, 1..<2).sum().reshaped([1])
            let probe = try (sums.slice(axis: 1, 0..<1) * 0).sum().reshaped([1])
            return (squares, probe)
        }
    }
}
