import Foundation
import LatentCompute

/// The per-step variance σ_t² of ancestral DDPM sampling.
public enum DDPMVariance: String, Sendable, Codable {
    /// σ_t² = β_t (the reference's default, "fixedlarge").
    case beta
    /// σ_t² = β̃_t, the posterior variance ("fixedsmall").
    case posterior
}

/// How to sample.
public enum SamplingMethod: Sendable, Equatable {
    /// Ancestral sampling over all T timesteps (a denoiser that learns its variance uses its own).
    case ddpm(variance: DDPMVariance)
    /// DDIM (Song et al. 2021) over `steps` uniformly spaced timesteps (`TimestepSequence.uniform`);
    /// eta = 0 is deterministic, eta = 1 has DDPM-like noise.
    case ddim(steps: Int, eta: Float)
    /// A deterministic solver of the probability-flow ODE over `steps` noise levels spaced by `spacing`
    /// (SigmaGrid.swift), from σ_max (x_T, noise slot 0 as for DDIM) to the data; no noise is added.
    case ode(ODESolver, steps: Int, spacing: SigmaSpacing = .karras)

    /// The `--sampler` name: ddpm, ddim, dpmpp-2m, euler or heun.
    public var name: String {
        switch self {
        case .ddpm: "ddpm"
        case .ddim: "ddim"
        case let .ode(solver, _, _): solver.rawValue
        }
    }
}

/// Sampler settings. Noise: element e of image j (global index firstImageIndex + position in the
/// batch, D = C·H·W elements per image) in noise slot s is Philox normal number s·2⁴⁰ + j·D + e of
/// `seed`; slot 0 is the initial x_T, slot k + 1 the noise added by sampler iteration k. So a seed gives
/// the same images on every backend and for any split of the images into batches.
public struct SamplerOptions: Sendable {
    public var method: SamplingMethod
    /// Classifier-free guidance w: ε = (1 + w)·ε(x | y) − w·ε(x | null). 0 = plain conditional (or unconditional).
    public var guidanceScale: Float
    /// Clamp the predicted x_0 to [−1, 1]. On by default for every sampler (the ODE solvers clamp their x̂₀
    /// and derive the step from it, as DPM-Solver++ thresholds its data prediction): the reference's
    /// `ddim_sample` does not clip, but without it DDIM from a partly trained ε-model diverges
    /// (x_0 = (x_t − √(1−ᾱ_t)·ε)/√ᾱ_t amplifies ε errors ~150x at t ≈ T; measured at step 1124 of the
    /// shipped DDPM's run: pixels reach ±30 unclipped, clothing clipped). Pass false to match the reference.
    public var clipDenoised: Bool
    public var seed: UInt64
    public var firstImageIndex: Int
    /// Run only the first this-many sampler iterations and return that partly denoised x_t
    /// (benchmarks time a prefix of the 1000-step DDPM chain); nil runs them all.
    public var stopAfter: Int?

    public init(
        method: SamplingMethod = .ddim(steps: 50, eta: 0), guidanceScale: Float = 0, clipDenoised: Bool = true,
        seed: UInt64 = 0, firstImageIndex: Int = 0, stopAfter: Int? = nil
    ) {
        self.method = method
        self.guidanceScale = guidanceScale
        self.clipDenoised = clipDenoised
        self.seed = seed
        self.firstImageIndex = firstImageIndex
        self.stopAfter = stopAfter
    }

    /// The Philox offset of noise slot `slot` for the first image of the batch.
    public func noiseOffset(slot: Int, imageSize: Int) -> UInt64 {
        (UInt64(slot) << 40) &+ UInt64(firstImageIndex) &* UInt64(imageSize)
    }
}

/// Reported after each sampler iteration (1-based `step` of `steps`, at timestep `timestep`).
public struct SamplingProgress: Sendable {
    public let step: Int
    public let steps: Int
    public let timestep: Int
}

/// Where a sampler's Gaussian noise comes from: slot 0 = x_T, slot k + 1 = iteration k's noise.
typealias SamplerNoise = (_ slot: Int, _ shape: [Int], _ device: any Device) throws -> Tensor

extension GaussianDiffusion {
    /// Generates `count` images [count, C, H, W] in [−1, 1] (not clamped unless clipDenoised) on the U-Net's
    /// device. `labels` ([count] class indices) condition a class-conditional U-Net; with guidance > 0
    /// conditional and null-class outputs are computed in one doubled batch like the reference.
    /// Runs without recording gradients and without dropout (no noise stream reaches the U-Net);
    /// `progress` is called after every iteration.
    public func sample(
        _ unet: any DiffusionDenoiser, count: Int, labels: [Int32]? = nil, options: SamplerOptions,
        progress: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        let imageSize = unet.inputShape.reduce(1, *)
        return try sample(
            unet, shape: [count] + unet.inputShape, labels: labels, options: options,
            noise: { slot, shape, device in
                try Tensor.randomNormal(
                    shape, seed: options.seed,
                    offset: options.noiseOffset(slot: slot, imageSize: imageSize), on: device)
            }, progress: progress)
    }

    func sample(
        _ unet: any DiffusionDenoiser, shape: [Int], labels: [Int32]?, options: SamplerOptions, noise: SamplerNoise,
        progress: ((SamplingProgress) -> Void)?
    ) throws -> Tensor {
        let count = shape[0]
        if let labels {
            guard labels.count == count else { throw DiffusionError.invalidArgument("\(labels.count) labels for \(count) images") }
            guard let classes = unet.nullClass, labels.allSatisfy({ $0 >= 0 && Int($0) <= classes }) else {
                throw DiffusionError.invalidArgument("labels need a class-conditional U-Net and values in 0...num_classes")
            }
        }
        guard options.guidanceScale == 0 || labels != nil else {
            throw DiffusionError.invalidArgument("classifier-free guidance needs labels")
        }
        if let stop = options.stopAfter, stop < 1 {
            throw DiffusionError.invalidArgument("stopAfter must be at least 1, not \(stop)")
        }
        let iterationLimit = options.stopAfter ?? Int.max
        let device = unet.device
        return try withoutGrad {
            let model = try GuidedModel(unet: unet, labels: labels, guidance: options.guidanceScale, count: count)
            var x = try noise(0, shape, device)
            switch options.method {
            case let .ddpm(variance):
                let sequence = try TimestepSequence.full(timesteps)
                let sigma2 = variance == .beta ? schedule.betas : schedule.posteriorVariance
                for (k, step) in sequence.iterations.prefix(iterationLimit).enumerated() {
                    let t = step.t
                    let (prediction, variance) = try model.outputs(x, t: t)
                    var (_, x0) = try epsilonAndX0(output: prediction, xt: x, t: t)
                    if options.clipDenoised { x0 = try x0.clamped(-1, 1) }
                    let mean = try Tensor.axpby(schedule.posteriorMeanCoefficientX0[t], x0, schedule.posteriorMeanCoefficientXt[t], x)
                    if t == 0 {
                        x = mean
                    } else if let variance {
                        // A learned variance replaces the fixed one: σ = exp(½·log σ²(v)).
                        let sigma = try (modelLogVariance(variance, timesteps: [Int](repeating: t, count: count)) * 0.5).exp()
                        x = try mean + sigma * noise(k + 1, shape, device)
                    } else {
                        x = try Tensor.axpby(1, mean, sigma2[t].squareRoot(), noise(k + 1, shape, device))
                    }
                    progress?(SamplingProgress(step: k + 1, steps: sequence.count, timestep: t))
                }
            case let .ddim(steps, eta):
                let sequence = try TimestepSequence.uniform(steps: steps, of: timesteps)
                for (k, step) in sequence.iterations.prefix(iterationLimit).enumerated() {
                    let t = step.t
                    let aT = Double(schedule.alphasCumprod[t])
                    let aPrev = step.previous >= 0 ? Double(schedule.alphasCumprod[step.previous]) : 1
                    let (epsilon, x0) = try denoised(model, x, t: t, clip: options.clipDenoised)
                    let sigma = Double(eta) * ((1 - aPrev) / (1 - aT) * (1 - aT / aPrev)).squareRoot()
                    let direction = Swift.max(1 - aPrev - sigma * sigma, 0).squareRoot()
                    x = try Tensor.axpby(Float(aPrev.squareRoot()), x0, Float(direction), epsilon)
                    if sigma > 0 { x = try Tensor.axpby(1, x, Float(sigma), noise(k + 1, shape, device)) }
                    progress?(SamplingProgress(step: k + 1, steps: sequence.count, timestep: t))
                }
            case let .ode(solver, steps, spacing):
                let grid = try schedule.sigmaGrid(steps: steps, spacing: spacing)
                var stepper = solver.makeStepper()
                let denoise: DataPrediction = { x, point in
                    try denoised(model, x, t: point.t ?? 0, clip: options.clipDenoised).x0
                }
                for k in 0..<Swift.min(grid.count - 1, iterationLimit) {
                    x = try stepper.step(x, from: grid[k], to: grid[k + 1], denoise: denoise)
                    progress?(SamplingProgress(step: k + 1, steps: grid.count - 1, timestep: grid[k].t ?? 0))
                }
            }
            return x
        }
    }
}

extension GaussianDiffusion {
    /// (ε̂, x̂₀) of the guided model at x_t, x̂₀ clamped to [−1, 1] when `clip` (ε̂ stays the network's):
    /// the model call every sampler but ancestral DDPM shares.
    func denoised(_ model: GuidedModel, _ x: Tensor, t: Int, clip: Bool) throws -> (epsilon: Tensor, x0: Tensor) {
        var (epsilon, x0) = try epsilonAndX0(output: model.output(x, t: t), xt: x, t: t)
        if clip { x0 = try x0.clamped(-1, 1) }
        return (epsilon, x0)
    }

    /// Network evaluations per image of `method` (its steps, except Heun's 2N − 1 and DDPM's T).
    public func modelEvaluations(_ method: SamplingMethod) throws -> Int {
        switch method {
        case .ddpm: timesteps
        case let .ddim(steps, _): steps
        case let .ode(solver, steps, spacing):
            solver.modelEvaluations(steps: try schedule.sigmaGrid(steps: steps, spacing: spacing).count - 1)
        }
    }
}

/// The U-Net with labels and guidance bound: output(x, t) is the model output (ε or v), guided as
/// (1 + w)·out(x | y) − w·out(x | null) from one doubled batch [x, x] with labels [y, null].
struct GuidedModel {
    let unet: any DiffusionDenoiser
    let labels: Tensor?
    let guidance: Float
    let count: Int

    init(unet: any DiffusionDenoiser, labels: [Int32]?, guidance: Float, count: Int) throws {
        self.unet = unet
        self.guidance = guidance
        self.count = count
        if let labels, let null = unet.nullClass {
            let all = guidance != 0 ? labels + [Int32](repeating: Int32(null), count: count) : labels
            self.labels = try Tensor(indices: all, shape: [all.count], on: unet.device)
        } else {
            self.labels = nil
        }
    }

    func output(_ x: Tensor, t: Int) throws -> Tensor { try outputs(x, t: t).prediction }

    /// The guided prediction and, for a denoiser that learns its variance, its variance channels v
    /// (of the conditional half under guidance, as the official DiT's forward_with_cfg).
    func outputs(_ x: Tensor, t: Int) throws -> (prediction: Tensor, variance: Tensor?) {
        let c = unet.inputShape[0]
        func split(_ out: Tensor) throws -> (Tensor, Tensor?) {
            (try unet.prediction(out), unet.learnsVariance ? try out.slice(axis: 1, c..<(2 * c)) : nil)
        }
        guard guidance != 0, labels != nil else {
            return try split(unet(x, timesteps: [Int](repeating: t, count: count), labels: labels, nullMask: nil, dropoutNoise: nil))
        }
        let (doubled, variance) = try split(
            unet(
                Tensor.concat([x, x], axis: 0), timesteps: [Int](repeating: t, count: 2 * count),
                labels: labels, nullMask: nil, dropoutNoise: nil))
        let conditional = try doubled.slice(axis: 0, 0..<count), unconditional = try doubled.slice(axis: 0, count..<(2 * count))
        return (try Tensor.axpby(1 + guidance, conditional, -guidance, unconditional), try variance?.slice(axis: 0, 0..<count))
    }
}
