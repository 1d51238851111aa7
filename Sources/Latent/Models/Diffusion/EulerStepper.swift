import LatentCompute

/// Euler on dx̃/dσ = (x̃ − x̂₀)/σ̃ for x̃ = x/α, σ̃ = σ/α (Karras et al. 2022, Algorithm 1 with S_churn = 0):
/// one model call per step, error O(1/N).
struct EulerStepper: ProbabilityFlowStepper {
    mutating func step(_ x: Tensor, from current: SigmaPoint, to next: SigmaPoint, denoise: DataPrediction) throws -> Tensor {
        try firstOrderStep(x, from: current, to: next, x0: denoise(x, current))
    }
}
