import Foundation
import LatentCompute

/// DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2; k-diffusion's `sample_dpmpp_2m`): in λ = log(α/σ),
/// x' = (σ'/σ)·x − α'·(e^(−h) − 1)·D with h = λ' − λ and D = (1 + 1/(2r))·x̂₀ − 1/(2r)·x̂₀_prev,
/// r = h_prev/h. The first step (no history) and the step onto the data are first order, so one step
/// is exactly one DDIM step (η = 0). One model call per step, error O(1/N²).
struct DPMSolverPlusPlus2M: ProbabilityFlowStepper {
    /// The previous step's data prediction and its h.
    private var previous: (x0: Tensor, h: Double)?

    mutating func step(_ x: Tensor, from current: SigmaPoint, to next: SigmaPoint, denoise: DataPrediction) throws -> Tensor {
        let x0 = try denoise(x, current)
        guard next.sigma > 0 else { return try firstOrderStep(x, from: current, to: next, x0: x0) }
        let h = next.lambda - current.lambda
        var d = x0
        if let previous {
            let w = 1 / (2 * previous.h / h)
            d = try Tensor.axpby(Float(1 + w), x0, Float(-w), previous.x0)
        }
        previous = (x0, h)
        let ratio = next.sigma / current.sigma
        return try Tensor.axpby(Float(ratio), x, Float(-next.alpha * Foundation.expm1(-h)), d)
    }
}
