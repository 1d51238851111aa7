import LatentCompute

/// The deterministic few-step samplers: solvers of the probability-flow ODE (`--sampler` names).
public enum ODESolver: String, Sendable, CaseIterable, Codable {
    /// DPM-Solver++(2M) (Lu et al. 2022): multistep, second order, data prediction.
    case dpmSolverPlusPlus2M = "dpmpp-2m"
    /// Euler (Karras et al. 2022, Algorithm 1 without churn): first order.
    case euler
    /// Heun (Karras et al. 2022, Algorithm 2 without churn): second order, two model calls per step.
    case heun

    /// A fresh solver of this kind (the multistep one keeps state between steps).
    func makeStepper() -> any ProbabilityFlowStepper {
        switch self {
        case .dpmSolverPlusPlus2M: DPMSolverPlusPlus2M()
        case .euler: EulerStepper()
        case .heun: HeunStepper()
        }
    }

    /// Model calls for a grid of `steps` solver steps (the last one ends at the data).
    func modelEvaluations(steps: Int) -> Int { self == .heun ? 2 * steps - 1 : steps }
}

/// x̂₀ at a grid point: the network's data prediction (guided, converted from ε or v, clamped if asked).
typealias DataPrediction = (_ x: Tensor, _ at: SigmaPoint) throws -> Tensor

/// One sampler of the probability-flow ODE, swappable behind this protocol (like a diffusers scheduler).
/// The state is VP (x = α·x₀ + σ·ε, what the network takes), and every update is a linear combination
/// of x and data predictions with Float64 coefficients from the grid points, so no step rescales x.
protocol ProbabilityFlowStepper {
    /// Moves x from `current` to `next` (σ decreasing; `next` may be `SigmaPoint.data`).
    mutating func step(_ x: Tensor, from current: SigmaPoint, to next: SigmaPoint, denoise: DataPrediction) throws -> Tensor
}

/// The first-order step shared by all three solvers, x' = (σ'/σ)·x + (α' − σ'·α/σ)·x̂₀: DDIM with η = 0,
/// Euler in x/α, and first-order DPM-Solver++ (α'·(1 − e^(−h)) = α' − σ'α/σ) are this same update.
func firstOrderStep(_ x: Tensor, from current: SigmaPoint, to next: SigmaPoint, x0: Tensor) throws -> Tensor {
    let ratio = next.sigma / current.sigma
    return try Tensor.axpby(Float(ratio), x, Float(next.alpha - ratio * current.alpha), x0)
}
