import ArgumentParser
import Latent

/// The diffusion sampler options that `sample` and `fid` share.
struct SamplerArguments: ParsableArguments {
    @Option(help: "Diffusion sampler: ddim or ddpm.") var sampler = "ddim"
    @Option(help: "DDIM steps.") var steps = 50
    @Option(help: "DDIM eta (0: deterministic).") var eta: Float = 0
    @Option(help: "DDPM variance: beta or posterior.") var variance = "beta"
    @Option(help: "Classifier-free guidance scale w (class-conditional models).") var guidance: Float = 0
    @Flag(inversion: .prefixedNo, help: "Clamp each predicted x_0 to [-1, 1] (--no-clip-denoised: the reference's DDIM).")
    var clipDenoised = true

    func method() throws -> SamplingMethod {
        switch sampler {
        case "ddim": return .ddim(steps: steps, eta: eta)
        case "ddpm":
            guard let v = DDPMVariance(rawValue: variance) else { throw ValidationError("--variance must be beta or posterior") }
            return .ddpm(variance: v)
        default: throw ValidationError("--sampler must be ddim or ddpm")
        }
    }

    func options(seed: UInt64) throws -> SamplerOptions {
        SamplerOptions(method: try method(), guidanceScale: guidance, clipDenoised: clipDenoised, seed: seed)
    }
}
