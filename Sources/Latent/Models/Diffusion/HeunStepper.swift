import LatentCompute

/// Heun's method on dx̃/dσ̃ = (x̃ − x̂₀)/σ̃ (Karras et al. 2022, Algorithm 2 with S_churn = 0): an Euler
/// step to x̃_e, then the average of the slopes at both ends; the step onto the data (σ̃' = 0) stays
/// Euler. Two model calls per step (2N − 1 in all), error O(1/N²).
struct HeunStepper: ProbabilityFlowStepper {
    mutating func step(_ x: Tensor, from current: SigmaPoint, to next: SigmaPoint, denoise: DataPrediction) throws -> Tensor {
        let euler = try firstOrderStep(x, from: current, to: next, x0: denoise(x, current))
        guard next.sigma > 0 else { return euler }
        // x̃' = ½x̃_e + ½x̃ + Δ/(2σ̃')·(x̃_e − x̂₀'), Δ = σ̃' − σ̃, multiplied by α' to stay in VP form.
        let half = (next.veSigma - current.veSigma) / (2 * next.veSigma)
        let x0 = try denoise(euler, next)
        let partial = try Tensor.axpby(Float(0.5 + half), euler, Float(0.5 * next.alpha / current.alpha), x)
        return try Tensor.axpby(1, partial, Float(-next.alpha * half), x0)
    }
}
