import ArgumentParser
import Latent

/// The diffusion sampler options that `sample` and `fid` share.
struct SamplerArguments: ParsableArguments {
    @Option(help: "Diffusion sampler: \(SamplerArguments.names.joined(separator: ", ")).") var sampler = "ddim"
    @Option(help: "Sampler steps (DDIM, DPM-Solver++(2M), Euler, Heun; ancestral DDPM always takes all T).") var steps = 50
    @Option(help: "Noise levels of dpmpp-2m, euler and heun: karras (rho 7) or uniform (DDIM's timesteps).") var spacing = "karras"
    @Option(help: "DDIM eta (0: deterministic).") var eta: Float = 0
    @Option(help: "DDPM variance: beta or posterior.") var variance = "beta"
    @Option(help: "Classifier-free guidance scale w (class-conditional models).") var guidance: Float = 0
    @Flag(inversion: .prefixedNo, help: "Clamp each predicted x_0 to [-1, 1] (--no-clip-denoised: the reference's DDIM).")
    var clipDenoised = true

    static let names = ["ddpm", "ddim"] + ODESolver.allCases.map(\.rawValue)

    func validate() throws {
        _ = try method()
    }

    func method() throws -> SamplingMethod {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, not \(steps)") }
        switch sampler {
        case "ddim": return .ddim(steps: steps, eta: eta)
        case "ddpm":
            guard let v = DDPMVariance(rawValue: variance) else { throw ValidationError("--variance must be beta or posterior") }
            return .ddpm(variance: v)
        default:
            guard let solver = ODESolver(rawValue: sampler) else {
                throw ValidationError("--sampler must be one of \(Self.names.joined(separator: ", ")), not \(sampler)")
            }
            guard let spacing = SigmaSpacing(rawValue: spacing) else {
                throw ValidationError("--spacing must be karras or uniform, not \(spacing)")
            }
            return .ode(solver, steps: steps, spacing: spacing)
        }
    }

    func options(seed: UInt64) throws -> SamplerOptions {
        SamplerOptions(method: try method(), guidanceScale: guidance, clipDenoised: clipDenoised, seed: seed)
    }
}
