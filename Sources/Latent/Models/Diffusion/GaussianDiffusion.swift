import LatentCompute

/// DDPM forward process and training objective (the reference `GaussianDiffusion`): q(x_t | x_0)
/// in closed form, L_simple (MSE of the predicted ε or v) with label dropout for classifier-free
/// guidance. Sampling is in Samplers.swift, the likelihood bound in VariationalBound.swift.
public struct GaussianDiffusion: Sendable {
    public let configuration: DiffusionConfiguration
    public let schedule: NoiseSchedule

    public init(_ configuration: DiffusionConfiguration = DiffusionConfiguration()) throws {
        guard configuration.unconditionalProbability >= 0, configuration.unconditionalProbability <= 1 else {
            throw DiffusionError.invalidConfiguration("p_uncond must be in [0, 1], not \(configuration.unconditionalProbability)")
        }
        self.configuration = configuration
        schedule = try NoiseSchedule(configuration.schedule, timesteps: configuration.timesteps)
    }

    public var timesteps: Int { schedule.timesteps }

    /// table[t] per sample as a [B, 1, 1, 1] tensor (gathered on the host, uploaded: B floats).
    func perSample(_ table: [Float], _ timesteps: [Int], on device: any Device) throws -> Tensor {
        try Tensor(timesteps.map { table[$0] }, shape: [timesteps.count, 1, 1, 1], on: device)
    }

    func checkTimesteps(_ timesteps: [Int]) throws {
        guard timesteps.allSatisfy({ $0 >= 0 && $0 < self.timesteps }) else {
            throw DiffusionError.invalidArgument("timesteps must be in 0..<\(self.timesteps)")
        }
    }

    /// x_t = √ᾱ_t·x_0 + √(1 − ᾱ_t)·ε for per-sample t.
    public func qSample(_ x0: Tensor, timesteps: [Int], noise: Tensor) throws -> Tensor {
        try checkTimesteps(timesteps)
        guard x0.shape.first == timesteps.count, noise.shape == x0.shape else {
            throw ComputeError.shapeMismatch("qSample of \(x0.shape) with noise \(noise.shape) at \(timesteps.count) timesteps")
        }
        return try perSample(schedule.sqrtAlphasCumprod, timesteps, on: x0.device) * x0
            + perSample(schedule.sqrtOneMinusAlphasCumprod, timesteps, on: x0.device) * noise
    }

    /// The regression target for the configured prediction: ε, or v = √ᾱ·ε − √(1 − ᾱ)·x_0.
    public func target(x0: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        switch configuration.prediction {
        case .epsilon: return noise
        case .v:
            return try perSample(schedule.sqrtAlphasCumprod, timesteps, on: x0.device) * noise
                - perSample(schedule.sqrtOneMinusAlphasCumprod, timesteps, on: x0.device) * x0
        }
    }

    /// L_simple for given timesteps and noise: mean of (model(x_t, t, y) − target)².
    public func denoisingLoss(
        _ unet: any DiffusionDenoiser, x0: Tensor, timesteps: [Int], noise: Tensor, labels: Tensor? = nil,
        nullMask: Tensor? = nil, dropoutNoise: NoiseStream? = nil
    ) throws -> Tensor {
        try denoisingLosses(
            unet, x0: x0, timesteps: timesteps, noise: noise, labels: labels, nullMask: nullMask,
            dropoutNoise: dropoutNoise
        ).loss
    }

    /// The loss and its parts: mse (L_simple) and, for a denoiser that learns its variance, vb
    /// (LearnedVariance.swift); loss = mse + vb.
    public func denoisingLosses(
        _ unet: any DiffusionDenoiser, x0: Tensor, timesteps: [Int], noise: Tensor, labels: Tensor? = nil,
        nullMask: Tensor? = nil, dropoutNoise: NoiseStream? = nil
    ) throws -> (loss: Tensor, mse: Tensor, vb: Tensor?) {
        let clean = x0.detached()
        let xt = try qSample(clean, timesteps: timesteps, noise: noise)
        let output = try unet(xt, timesteps: timesteps, labels: labels, nullMask: nullMask, dropoutNoise: dropoutNoise)
        let prediction = try unet.prediction(output)
        let mse = try Tensor.mseLoss(prediction, target(x0: clean, noise: noise, timesteps: timesteps))
        guard unet.learnsVariance else { return (mse, mse, nil) }
        let c = unet.inputShape[0]
        let vb = try learnedVarianceTerm(
            epsilon: prediction.detached(), v: output.slice(axis: 1, c..<(2 * c)), x0: clean, xt: xt,
            timesteps: timesteps)
        return (try mse + vb, mse, vb)
    }

    /// Draws B timesteps uniformly from 0..<T: t_i = ⌊u_i·T⌋ with u_i the Philox uniform numbers
    /// offset…offset+B−1 of `seed`, evaluated on the host (identical to the device's `randomUniform`).
    public func drawTimesteps(count: Int, seed: UInt64, offset: UInt64) -> [Int] {
        (0..<count).map { i in
            Swift.min(Int(NoiseSampler.uniform(seed: seed, element: offset &+ UInt64(i)) * Float(timesteps)), timesteps - 1)
        }
    }

    /// One training batch's loss (images in [−1, 1], Int32 labels [B]). Draws from `noise`, in order:
    /// B uniforms for t, B uniforms for label dropout (only for a class-conditional U-Net with
    /// p_uncond > 0), B·C·H·W normals for ε, then the dropout masks in forward order.
    public func trainingLoss(_ unet: any DiffusionDenoiser, images: Tensor, labels: Tensor?, noise: NoiseStream) throws -> TrainingLoss {
        let batch = images.shape[0]
        let t = drawTimesteps(count: batch, seed: noise.seed, offset: noise.takeRows(batch, perRow: 1))
        var nullMask: Tensor?
        let conditional = unet.nullClass != nil && labels != nil
        if conditional, configuration.unconditionalProbability > 0 {
            let u = try Tensor.randomUniform([batch], seed: noise.seed, offset: noise.takeRows(batch, perRow: 1), on: images.device)
            nullMask = try u.apply(.less, Tensor.full([], value: configuration.unconditionalProbability, on: images.device))
        }
        let epsilon = try Tensor.randomNormal(
            images.shape, seed: noise.seed, offset: noise.takeRows(batch, perRow: images.count / batch), on: images.device)
        let losses = try denoisingLosses(
            unet, x0: images, timesteps: t, noise: epsilon, labels: conditional ? labels : nil,
            nullMask: nullMask, dropoutNoise: noise)
        return TrainingLoss(loss: losses.loss, metrics: [("mse", losses.mse)] + (losses.vb.map { [("vb", $0)] } ?? []))
    }

    /// (ε̂, x̂_0) from a model output at x_t: for ε-prediction x̂_0 = (x_t − √(1 − ᾱ)·ε̂)/√ᾱ; for v-prediction
    /// ε̂ = √ᾱ·v + √(1 − ᾱ)·x_t and x̂_0 = √ᾱ·x_t − √(1 − ᾱ)·v. One t for the whole batch.
    func epsilonAndX0(output: Tensor, xt: Tensor, t: Int) throws -> (epsilon: Tensor, x0: Tensor) {
        let a = schedule.sqrtAlphasCumprod[t], s = schedule.sqrtOneMinusAlphasCumprod[t]
        switch configuration.prediction {
        case .epsilon:
            return (output, try Tensor.axpby(1 / a, xt, -s / a, output))
        case .v:
            return (try Tensor.axpby(a, output, s, xt), try Tensor.axpby(a, xt, -s, output))
        }
    }
}
