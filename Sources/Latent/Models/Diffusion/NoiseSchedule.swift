import Foundation

/// How the forward-process variances β_1…β_T are chosen.
public enum BetaSchedule: Sendable, Equatable, Codable {
    /// β linear from `start` to `end` (Ho et al. 2020: 1e-4 … 0.02), like `torch.linspace`.
    case linear(start: Double, end: Double)
    /// ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T) + s)/(1 + s) · π/2), β_t = min(1 − ᾱ(t+1)/ᾱ(t), maxBeta)
    /// (Nichol & Dhariwal 2021: s = 0.008, maxBeta = 0.999).
    case cosine(s: Double, maxBeta: Double)

    public static let ho2020 = BetaSchedule.linear(start: 1e-4, end: 0.02)
    public static let nicholDhariwal = BetaSchedule.cosine(s: 0.008, maxBeta: 0.999)
}

/// The constants of a DDPM forward process, computed once in Float64 and stored as Float
/// (the reference computes them in float64 and casts to float32 the same way).
///
/// Timesteps are 0-based like the reference: t = 0 is the first noising step (β₁ in the paper).
/// For every t: q(x_t | x_0) = N(√ᾱ_t·x_0, (1 − ᾱ_t)·I) and the posterior
/// q(x_{t−1} | x_t, x_0) = N(c0_t·x_0 + ct_t·x_t, β̃_t·I) with β̃_t = β_t(1 − ᾱ_{t−1})/(1 − ᾱ_t).
public struct NoiseSchedule: Sendable, Equatable {
    public let kind: BetaSchedule
    public let timesteps: Int

    public let betas: [Float]
    public let alphasCumprod: [Float]
    /// ᾱ_{t−1}, with ᾱ_{−1} = 1.
    public let alphasCumprodPrevious: [Float]
    public let sqrtAlphasCumprod: [Float]
    public let sqrtOneMinusAlphasCumprod: [Float]
    /// β̃_t (0 at t = 0).
    public let posteriorVariance: [Float]
    /// log β̃_t with the t = 0 entry replaced by log β̃_1, so it is finite (improved-diffusion's "clipped").
    public let posteriorLogVarianceClipped: [Float]
    /// c0_t = β_t·√ᾱ_{t−1}/(1 − ᾱ_t), the x_0 coefficient of the posterior mean.
    public let posteriorMeanCoefficientX0: [Float]
    /// ct_t = (1 − ᾱ_{t−1})·√(1 − β_t)/(1 − ᾱ_t), the x_t coefficient of the posterior mean.
    public let posteriorMeanCoefficientXt: [Float]

    /// The Float64 values the Float tables were rounded from (the bound in bits/dim uses these).
    public let betas64: [Double]
    public let alphasCumprod64: [Double]

    public init(_ kind: BetaSchedule = .ho2020, timesteps: Int = 1000) throws {
        guard (1...1_000_000).contains(timesteps) else {
            throw DiffusionError.invalidConfiguration("timesteps must be 1...1000000, not \(timesteps)")
        }
        self.kind = kind
        self.timesteps = timesteps
        let b = try Self.betas(kind, timesteps)
        var ac = [Double](repeating: 0, count: timesteps)
        var product = 1.0
        for t in 0..<timesteps {
            product *= 1 - b[t]
            ac[t] = product
        }
        var acPrev = [Double](repeating: 1, count: timesteps)
        for t in 1..<Swift.max(timesteps, 1) { acPrev[t] = ac[t - 1] }
        var posterior = [Double](repeating: 0, count: timesteps)
        var coefficientX0 = posterior, coefficientXt = posterior
        for t in 0..<timesteps {
            let oneMinus: Double = 1 - ac[t]
            posterior[t] = b[t] * (1 - acPrev[t]) / oneMinus
            coefficientX0[t] = b[t] * acPrev[t].squareRoot() / oneMinus
            coefficientXt[t] = (1 - acPrev[t]) * (1 - b[t]).squareRoot() / oneMinus
        }
        var clipped = posterior
        clipped[0] = timesteps > 1 ? posterior[1] : b[0]
        let f = { (values: [Double]) -> [Float] in values.map { Float($0) } }
        betas64 = b
        alphasCumprod64 = ac
        betas = f(b)
        alphasCumprod = f(ac)
        alphasCumprodPrevious = f(acPrev)
        sqrtAlphasCumprod = f(ac.map { $0.squareRoot() })
        sqrtOneMinusAlphasCumprod = f(ac.map { (1 - $0).squareRoot() })
        posteriorVariance = f(posterior)
        posteriorLogVarianceClipped = f(clipped.map { Foundation.log($0) })
        posteriorMeanCoefficientX0 = f(coefficientX0)
        posteriorMeanCoefficientXt = f(coefficientXt)
    }

    static func betas(_ kind: BetaSchedule, _ count: Int) throws -> [Double] {
        switch kind {
        case let .linear(start, end):
            guard start > 0, end < 1, start <= end else {
                throw DiffusionError.invalidConfiguration("linear betas need 0 < start <= end < 1, got \(start)…\(end)")
            }
            guard count > 1 else { return [start] }
            // torch.linspace's two-sided evaluation, so the float64 values match the reference's bits.
            let step = (end - start) / Double(count - 1)
            let half = count / 2
            return (0..<count).map { i in i < half ? start + step * Double(i) : end - step * Double(count - 1 - i) }
        case let .cosine(s, maxBeta):
            guard s >= 0, maxBeta > 0, maxBeta < 1 else {
                throw DiffusionError.invalidConfiguration("cosine schedule needs s >= 0 and 0 < maxBeta < 1")
            }
            let alphaBar = { (t: Double) -> Double in
                let c = Foundation.cos((t / Double(count) + s) / (1 + s) * Double.pi / 2)
                return c * c
            }
            return (0..<count).map { i in Swift.min(1 - alphaBar(Double(i + 1)) / alphaBar(Double(i)), maxBeta) }
        }
    }
}

/// Errors specific to the diffusion models (bad configurations, sampler arguments).
public enum DiffusionError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(message): "invalid diffusion configuration: \(message)"
        case let .invalidArgument(message): "invalid argument: \(message)"
        }
    }
}
