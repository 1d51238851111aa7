import LatentCompute

/// The official DiT's initialisation, drawn from a `ParameterInitializer`'s Philox stream.
enum DiTInitialization {
    /// Xavier-uniform weight [out, in] (bound √(6/(in + out))) and a zero bias.
    static func xavierLinear(_ inFeatures: Int, _ outFeatures: Int, _ initializer: ParameterInitializer) throws -> Linear {
        let bound = (6 / Float(inFeatures + outFeatures)).squareRoot()
        return Linear(
            weight: try initializer.uniform([outFeatures, inFeatures], bound: bound),
            bias: try initializer.constant([outFeatures], 0))
    }

    /// N(0, std²) weight and a zero bias (the timestep MLP).
    static func normalLinear(_ inFeatures: Int, _ outFeatures: Int, std: Float, _ initializer: ParameterInitializer) throws -> Linear {
        Linear(weight: try initializer.normal([outFeatures, inFeatures], std: std), bias: try initializer.constant([outFeatures], 0))
    }

    /// All-zero weight and bias (adaLN-Zero modulation and the final projection).
    static func zeroLinear(_ inFeatures: Int, _ outFeatures: Int, _ initializer: ParameterInitializer) throws -> Linear {
        Linear(weight: try initializer.constant([outFeatures, inFeatures], 0), bias: try initializer.constant([outFeatures], 0))
    }
}

/// LayerNorm over the last axis without affine parameters (eps 1e-6): the existing fused norm with
/// constant γ = 1, β = 0, which are not parameters (so not in the state_dict and never trained).
final class AffineFreeLayerNorm {
    let ones: Tensor, zeros: Tensor

    init(_ features: Int, device: any Device) throws {
        ones = try Tensor.full([features], value: 1, on: device)
        zeros = try Tensor.zeros([features], on: device)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try x.layerNorm(gamma: ones, beta: zeros, epsilon: 1e-6) }
}

/// adaLN: x·(1 + scale) + shift for tokens x [N, L, D] and per-sample shift, scale [N, D] (the fused
/// `modulate` kernel).
func modulate(_ x: Tensor, shift: Tensor, scale: Tensor) throws -> Tensor {
    try x.modulated(shift: shift, scale: scale)
}

/// Part k of n equal chunks of the last axis of c [N, n·D], as [N, D] (PyTorch's chunk(n, dim=1)).
func chunk(_ c: Tensor, _ k: Int, of n: Int) throws -> Tensor {
    let d = c.shape[1] / n
    return try c.slice(axis: 1, k * d..<(k + 1) * d)
}

/// A gate [N, D] as [N, 1, D], to scale every token of its image.
func perToken(_ gate: Tensor) throws -> Tensor { try gate.reshaped([gate.shape[0], 1, gate.shape[1]]) }
