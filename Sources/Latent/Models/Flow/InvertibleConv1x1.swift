import Foundation
import LatentCompute

/// Glow's invertible 1×1 convolution with an LU-decomposed weight W = P·L·(U + diag(sign_s·exp(log_s))):
/// P a fixed permutation (buffer `p`), L unit lower triangular (parameter `lower`, only its strictly
/// lower part used), U strictly upper (`upper`, its strictly upper part), the diagonal's signs fixed
/// (buffer `sign_s`) and its log-magnitudes learned (`log_s`). log|det| = H·W·Σ log_s per image.
/// Initialised from a random rotation, as Glow does.
public final class InvertibleConv1x1: Module, FlowLayer {
    public let channels: Int
    public let p: Tensor
    public let signS: Tensor
    public let lower: Tensor
    public let upper: Tensor
    public let logS: Tensor
    private let lowerMask: Tensor, upperMask: Tensor, identity: Tensor

    public init(channels c: Int, initializer: ParameterInitializer) throws {
        channels = c
        let device = initializer.device
        let gaussian = try initializer.normal([c, c]).toArray().map { Double($0) }
        let (pm, l, u) = FlowLinearAlgebra.lu(FlowLinearAlgebra.orthogonal(gaussian, n: c), n: c)
        let diagonal = (0..<c).map { u[$0 * c + $0] }
        p = try Tensor(pm.map { Float($0) }, shape: [c, c], on: device)
        signS = try Tensor(diagonal.map { $0 < 0 ? -1 : 1 }, shape: [c], on: device)
        lower = try Tensor(l.map { Float($0) }, shape: [c, c], on: device).requiringGrad()
        upper = try Tensor(
            (0..<(c * c)).map { $0 / c == $0 % c ? 0 : Float(u[$0]) }, shape: [c, c], on: device
        ).requiringGrad()
        logS = try Tensor(diagonal.map { Float(Foundation.log(Swift.abs($0))) }, shape: [c], on: device).requiringGrad()
        let indices = (0..<(c * c)).map { ($0 / c, $0 % c) }
        lowerMask = try Tensor(indices.map { $0.0 > $0.1 ? 1 : 0 }, shape: [c, c], on: device)
        upperMask = try Tensor(indices.map { $0.0 < $0.1 ? 1 : 0 }, shape: [c, c], on: device)
        identity = try Tensor(indices.map { $0.0 == $0.1 ? 1 : 0 }, shape: [c, c], on: device)
    }

    public override var localParameters: [(String, Tensor)] { [("lower", lower), ("upper", upper), ("log_s", logS)] }
    public override var localBuffers: [(String, Tensor)] { [("p", p), ("sign_s", signS)] }

    /// W [C, C] from the factors, differentiable in lower, upper and log_s.
    public func weight() throws -> Tensor {
        let l = try lower * lowerMask + identity
        let u = try upper * upperMask + identity * (signS * logS.exp())
        return try p.matmul(l).matmul(u)
    }

    public func forward(_ x: Tensor) throws -> (y: Tensor, logDet: Tensor) {
        let y = try x.conv2d(weight().reshaped([channels, channels, 1, 1]))
        let logDet = try logS.sum().affine(scale: Float(x.shape[2] * x.shape[3]))
        return (y, try repeatedLogDet(logDet, images: x.shape[0]))
    }

    /// x = W⁻¹·y per pixel, with W inverted on the host in Float64.
    public func inverse(_ y: Tensor) throws -> Tensor {
        let w = try withoutGrad { try weight() }.toArray().map { Double($0) }
        guard let inverse = FlowLinearAlgebra.inverse(w, n: channels) else {
            throw ComputeError.invalidArgument("the 1×1 convolution's weight is singular")
        }
        let kernel = try Tensor(inverse.map { Float($0) }, shape: [channels, channels, 1, 1], on: y.device)
        return try y.conv2d(kernel)
    }
}
