import Foundation
import LatentCompute

/// The terms of the variational bound (Ho et al. 2020, eq. 5) summed over evaluated images, in nats:
/// L_T = KL(q(x_T | x_0) ‖ N(0, I)), L_{t} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) for t = 2…T,
/// L_0 = −log p_θ(x_0 | x_1) with the discretised Gaussian decoder (256 bins over [−1, 1]).
public struct VariationalBoundTerms: Sendable, Equatable {
    public var images = 0
    /// Dimensions per image (C·H·W).
    public var dimensions = 0
    public var priorNats = 0.0
    public var diffusionNats = 0.0
    public var decoderNats = 0.0
    /// Σ over images of the term at 0-based timestep t: [0] is L_0 (decoder), [t] is the KL at t.
    public var perTimestepNats: [Double] = []

    public init() {}

    public var totalNats: Double { priorNats + diffusionNats + decoderNats }
    func bits(_ nats: Double) -> Double { images == 0 ? .nan : nats / (Double(images * dimensions) * M_LN2) }
    /// The bound in bits per dimension (the number reported for likelihood models).
    public var bitsPerDim: Double { bits(totalNats) }
    public var priorBitsPerDim: Double { bits(priorNats) }
    public var diffusionBitsPerDim: Double { bits(diffusionNats) }
    public var decoderBitsPerDim: Double { bits(decoderNats) }

    /// Adds another batch's terms.
    public mutating func merge(_ other: VariationalBoundTerms) {
        if images == 0 { dimensions = other.dimensions }
        images += other.images
        priorNats += other.priorNats
        diffusionNats += other.diffusionNats
        decoderNats += other.decoderNats
        if perTimestepNats.isEmpty {
            perTimestepNats = other.perTimestepNats
        } else {
            for (t, value) in other.perTimestepNats.enumerated() { perTimestepNats[t] += value }
        }
    }
}

/// Settings of the bound evaluation.
public struct VariationalBoundOptions: Sendable {
    /// The reverse-process variance: β̃_t ("fixedsmall", default) or β_t (with β̃_1 at t = 0, "fixedlarge").
    public var variance: DDPMVariance
    /// Clamp the predicted x_0 to [−1, 1] before forming the model mean (as improved-diffusion's bpd loop does).
    public var clipDenoised: Bool
    /// x_t noise: element e of image j at timestep t is Philox normal (t + 1)·2⁴⁰ + j·D + e of `seed`.
    public var seed: UInt64

    public init(variance: DDPMVariance = .posterior, clipDenoised: Bool = true, seed: UInt64 = 0) {
        self.variance = variance
        self.clipDenoised = clipDenoised
        self.seed = seed
    }
}

extension GaussianDiffusion {
    /// The bound for one batch of images in [−1, 1] (host values, [B, C, H, W]; pixels on the 256-level
    /// grid k/127.5 − 1). Cost: T U-Net passes over the batch (fmnist-small, T = 1000: ≈ 2.2 TFLOP per
    /// image), so evaluate a subset of the test split. `firstImageIndex` numbers the images for the noise.
    public func variationalBound(
        _ unet: any DiffusionDenoiser, images: [Float], shape: [Int], labels: [Int32]? = nil,
        firstImageIndex: Int = 0, options: VariationalBoundOptions = VariationalBoundOptions(),
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> VariationalBoundTerms {
        let size = shape.dropFirst().reduce(1, *)
        return try variationalBound(
            unet, images: images, shape: shape, labels: labels, options: options,
            noise: { slot, shape, device in
                try Tensor.randomNormal(
                    shape, seed: options.seed,
                    offset: (UInt64(slot) << 40) &+ UInt64(firstImageIndex) &* UInt64(size), on: device)
            }, progress: progress)
    }

    /// The bound over the first `limit` images of a dataset (all when nil), in batches, in dataset order.
    public func variationalBound(
        _ unet: any DiffusionDenoiser, dataset: ImageDataset, limit: Int? = nil, batchSize: Int = 64,
        conditional: Bool = false, options: VariationalBoundOptions = VariationalBoundOptions(),
        progress: ((_ imagesDone: Int, _ step: Int, _ steps: Int) -> Void)? = nil
    ) throws -> VariationalBoundTerms {
        let total = Swift.min(limit ?? dataset.count, dataset.count)
        var terms = VariationalBoundTerms()
        var start = 0
        while start < total {
            let end = Swift.min(start + batchSize, total)
            var images = [Float](repeating: 0, count: (end - start) * dataset.imageSize)
            for i in start..<end {
                for (k, p) in dataset.image(i).enumerated() { images[(i - start) * dataset.imageSize + k] = Float(p) / 255 * 2 - 1 }
            }
            let done = start
            terms.merge(
                try variationalBound(
                    unet, images: images, shape: [end - start, dataset.channels, dataset.height, dataset.width],
                    labels: conditional ? Array(dataset.labels[start..<end]) : nil, firstImageIndex: start, options: options,
                    progress: { progress?(done, $0, $1) }))
            start = end
        }
        return terms
    }

    func variationalBound(
        _ unet: any DiffusionDenoiser, images: [Float], shape: [Int], labels: [Int32]?, options: VariationalBoundOptions,
        noise: SamplerNoise, progress: ((Int, Int) -> Void)?
    ) throws -> VariationalBoundTerms {
        let batch = shape[0], size = shape.dropFirst().reduce(1, *)
        guard images.count == batch * size else { throw ComputeError.shapeMismatch("\(images.count) values for images \(shape)") }
        let device = unet.device
        let b = schedule.betas64, ac = schedule.alphasCumprod64, T = timesteps
        // Float64 posterior log-variances (q) and the model's (p).
        var logQ = [Double](repeating: 0, count: T), logP = logQ
        for t in 1..<Swift.max(T, 1) {
            let variance: Double = b[t] * (1 - ac[t - 1]) / (1 - ac[t])
            logQ[t] = Foundation.log(variance)
        }
        logQ[0] = T > 1 ? logQ[1] : Foundation.log(b[0])
        for t in 0..<T { logP[t] = options.variance == .posterior || t == 0 ? logQ[t] : Foundation.log(b[t]) }

        var terms = VariationalBoundTerms()
        terms.images = batch
        terms.dimensions = size
        terms.perTimestepNats = [Double](repeating: 0, count: T)
        // L_T in closed form on the host.
        let aT = ac[T - 1]
        for x in images {
            let mean = aT.squareRoot() * Double(x)
            terms.priorNats += 0.5 * (-1 - Foundation.log(1 - aT) + (1 - aT) + mean * mean)
        }
        try withoutGrad {
            let x0 = try Tensor(images, shape: shape, on: device)
            let model = try GuidedModel(unet: unet, labels: labels, guidance: 0, count: batch)
            for (step, t) in (0..<T).reversed().enumerated() {
                let xt = try qSample(x0, timesteps: [Int](repeating: t, count: batch), noise: noise(t + 1, shape, device))
                var (_, x0Hat) = try epsilonAndX0(output: model.output(xt, t: t), xt: xt, t: t)
                if options.clipDenoised { x0Hat = try x0Hat.clamped(-1, 1) }
                let c0 = schedule.posteriorMeanCoefficientX0[t], ct = schedule.posteriorMeanCoefficientXt[t]
                let modelMean = try Tensor.axpby(c0, x0Hat, ct, xt)
                if t == 0 {
                    let means = try modelMean.toArray()
                    let logScale = 0.5 * logP[0]
                    for i in 0..<(batch * size) {
                        terms.perTimestepNats[0] -= discretizedGaussianLogLikelihood(Double(images[i]), mean: Double(means[i]), logScale: logScale)
                    }
                } else {
                    let trueMean = try Tensor.axpby(c0, x0, ct, xt)
                    let squared = try (trueMean - modelMean).square().reshaped([batch, size]).sum(axis: 1).toArray()
                    let constant = 0.5 * Double(size) * (-1 + logP[t] - logQ[t] + Foundation.exp(logQ[t] - logP[t]))
                    for s in squared { terms.perTimestepNats[t] += constant + 0.5 * Double(s) * Foundation.exp(-logP[t]) }
                }
                progress?(step + 1, T)
            }
        }
        terms.decoderNats = terms.perTimestepNats[0]
        terms.diffusionNats = terms.perTimestepNats.dropFirst().reduce(0, +)
        return terms
    }
}

/// log P(x) under N(mean, e^{2·logScale}) discretised to 256 bins of width 2/255 on [−1, 1], the edge
/// bins extended to ±∞ (Ho et al. 2020, eq. 13). Exact normal CDF via erfc, cancellation-free in both tails.
func discretizedGaussianLogLikelihood(_ x: Double, mean: Double, logScale: Double) -> Double {
    let inverseScale = Foundation.exp(-logScale)
    let plus = inverseScale * (x - mean + 1 / 255.0), minus = inverseScale * (x - mean - 1 / 255.0)
    let cdf = { (z: Double) in 0.5 * Foundation.erfc(-z / 2.0.squareRoot()) }  // Φ(z)
    let upperTail = { (z: Double) in 0.5 * Foundation.erfc(z / 2.0.squareRoot()) }  // 1 − Φ(z)
    let probability: Double
    if x < -0.999 {
        probability = cdf(plus)
    } else if x > 0.999 {
        probability = upperTail(minus)
    } else if minus > 0 {
        probability = upperTail(minus) - upperTail(plus)
    } else {
        probability = cdf(plus) - cdf(minus)
    }
    return Foundation.log(Swift.max(probability, 1e-12))
}
