import Foundation

/// How the ODE samplers (`SamplingMethod.ode`) spread their steps over the noise levels.
public enum SigmaSpacing: String, Sendable, CaseIterable, Codable {
    /// Karras et al. 2022 (eq. 5, ρ = 7): σ_i = (σ_max^(1/ρ) + i/(N−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ between the
    /// model's largest and smallest σ, dense near the data.
    case karras
    /// DDIM's timesteps (`TimestepSequence.uniform`), so a solver can be compared with DDIM step for step.
    case uniform
}

/// A noise level the solvers visit, in VP form: x = α·x₀ + σ·ε with α = √ᾱ_t, σ = √(1 − ᾱ_t).
/// `t` is the model's timestep there; the final point (the data) has t = nil, α = 1, σ = 0.
struct SigmaPoint: Sendable, Equatable {
    let t: Int?
    let alpha: Double
    let sigma: Double

    static let data = SigmaPoint(t: nil, alpha: 1, sigma: 0)

    /// The variance-exploding σ of Karras et al.: σ/α = √((1 − ᾱ)/ᾱ).
    var veSigma: Double { sigma / alpha }
    /// λ = log(α/σ), half the log-SNR (DPM-Solver's time variable); +∞ at the data.
    var lambda: Double { Foundation.log(alpha / sigma) }
}

extension NoiseSchedule {
    /// The point of trained timestep t (Float64 tables).
    func point(_ t: Int) -> SigmaPoint {
        let a = alphasCumprod64[t]
        return SigmaPoint(t: t, alpha: a.squareRoot(), sigma: (1 - a).squareRoot())
    }

    /// The solver's grid: model points with strictly decreasing σ, then `SigmaPoint.data`.
    ///
    /// Karras σ values fall between the trained ones. Each is mapped to a fractional timestep by
    /// linear interpolation of log σ (k-diffusion's `sigma_to_t`), which is then **rounded** to the
    /// nearest trained timestep, and the solver uses that timestep's exact σ. So the network is only
    /// ever asked about a (t, σ) pair it was trained on (its timestep input stays an integer, and
    /// tables indexed by t still work), at the cost of moving each σ by at most half a timestep.
    /// Rounding can merge neighbours when steps approach T; merged points are visited once.
    func sigmaGrid(steps: Int, spacing: SigmaSpacing, rho: Double = 7) throws -> [SigmaPoint] {
        guard steps >= 1, steps <= timesteps else {
            throw DiffusionError.invalidArgument("cannot take \(steps) sampling steps out of \(timesteps) timesteps")
        }
        let descending: [Int]
        switch spacing {
        case .uniform:
            descending = try TimestepSequence.uniform(steps: steps, of: timesteps).iterations.map(\.t)
        case .karras:
            let (high, low) = (point(timesteps - 1).veSigma, point(0).veSigma)
            let (a, b) = (Foundation.pow(high, 1 / rho), Foundation.pow(low, 1 / rho))
            var ts: [Int] = []
            for i in 0..<steps {
                let ramp = steps == 1 ? 0 : Double(i) / Double(steps - 1)
                let t = Int(fractionalTimestep(veSigma: Foundation.pow(a + ramp * (b - a), rho)).rounded())
                if ts.last != t { ts.append(t) }
            }
            descending = ts
        }
        return descending.map(point) + [.data]
    }

    /// The fractional timestep of a VE σ: log σ interpolated linearly between the two trained timesteps
    /// around it, clamped to [0, T − 1] (k-diffusion's `DiscreteSchedule.sigma_to_t`).
    func fractionalTimestep(veSigma: Double) -> Double {
        let target = Foundation.log(veSigma)
        let logSigma = { (t: Int) in Foundation.log(self.point(t).veSigma) }
        if target <= logSigma(0) { return 0 }
        if target >= logSigma(timesteps - 1) { return Double(timesteps - 1) }
        // The first timestep whose log σ is at least the target (log σ rises with t).
        var (lower, upper) = (0, timesteps - 1)
        while upper - lower > 1 {
            let middle = (lower + upper) / 2
            if logSigma(middle) < target { lower = middle } else { upper = middle }
        }
        let (l, h) = (logSigma(lower), logSigma(upper))
        return Double(lower) + (target - l) / (h - l)
    }
}
