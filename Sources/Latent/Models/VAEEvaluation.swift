import Foundation
import LatentCompute

/// Test-split figures of a `ConvVAE`, all in nats per image (averages over `images`).
public struct VAEEvaluation: Sendable, Equatable {
    public var images: Int
    /// −ELBO with one sample z per image: reconstruction + kl.
    public var negativeELBO: Double
    public var reconstruction: Double
    public var kl: Double
    /// −IWAE_k, an upper bound on −log p(x) that tightens as k grows (nil when k = 0).
    public var negativeIWAE: Double?
    public var iwaeSamples: Int
}

extension ConvVAE {
    /// −ELBO and −IWAE_k over the first `limit` images of `dataset` (all when nil), in eval mode
    /// without gradients. Noise comes from Philox stream `seed`: the ELBO's eps of image i are numbers
    /// i·latent ..< (i+1)·latent; the IWAE's are drawn by `importanceWeightedBound` from stream seed + 1.
    /// Memory stays bounded by `batchSize` images and `maxDecodes` decoder evaluations at a time.
    public func evaluate(
        _ dataset: ImageDataset, on device: any Device, limit: Int? = nil, batchSize: Int = 500,
        iwaeSamples: Int = 1000, maxDecodes: Int = 1000, seed: UInt64 = 0
    ) throws -> VAEEvaluation {
        let count = min(limit ?? dataset.count, dataset.count)
        guard count > 0 else { throw ComputeError.invalidArgument("VAE evaluation of an empty dataset") }
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false, scaling: .zeroToOne)
        let wasTraining = training
        eval()
        defer { train(wasTraining) }
        var (rec, kl, iwae, done) = (0.0, 0.0, 0.0, 0)
        try withoutGrad {
            for b in 0..<loader.batchesPerEpoch where done < count {
                let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
                let n = min(batch.shape[0], count - done)
                let x = try batch.imagesTensor(on: device).slice(axis: 0, 0..<n)
                let eps = try Tensor.randomNormal([n, latent], seed: seed, offset: UInt64(done * latent), on: device)
                let parts = try loss(images: x, eps: eps, klWeight: 1)
                rec += Double(try parts.reconstruction.item()) * Double(n)
                kl += Double(try parts.kl.item()) * Double(n)
                if iwaeSamples > 0 {
                    let bounds = try importanceWeightedBound(
                        images: x, samples: iwaeSamples, seed: seed &+ 1,
                        firstImage: done, maxDecodes: maxDecodes)
                    iwae += bounds.reduce(0, +)
                }
                done += n
            }
        }
        let c = Double(count)
        return VAEEvaluation(
            images: count, negativeELBO: (rec + kl) / c, reconstruction: rec / c, kl: kl / c,
            negativeIWAE: iwaeSamples > 0 ? -iwae / c : nil, iwaeSamples: iwaeSamples)
    }

    /// The importance-weighted bound IWAE_k = log (1/k) Σ_s p(x|z_s)·p(z_s)/q(z_s|x) ≤ log p(x) for each
    /// image of `images` [N, 1, 28, 28], nats (Burda et al. 2016). The samples of image i (counted from
    /// `firstImage`, so the result does not depend on how a dataset is split) use Philox numbers
    /// (i·k + s)·latent ..< (i·k + s + 1)·latent of stream `seed`. At most `maxDecodes` decoder
    /// evaluations run at once (images × samples chunks); the log-sum-exp over k runs on the device
    /// per chunk and the chunks are combined on the host in Double, stably (max-shifted).
    public func importanceWeightedBound(
        images: Tensor, samples k: Int, seed: UInt64, firstImage: Int = 0,
        maxDecodes: Int = 1000
    ) throws -> [Double] {
        guard k >= 1, maxDecodes >= 1 else {
            throw ComputeError.invalidArgument("IWAE needs k >= 1 samples and maxDecodes >= 1, got \(k), \(maxDecodes)")
        }
        let n = images.shape[0], pixels = images.count / max(n, 1)
        let device = images.device
        let sampleChunk = min(k, maxDecodes)
        let imageChunk = max(1, maxDecodes / sampleChunk)
        return try withoutGrad {
            let (mu, logvar) = try encode(images)
            var bounds = [Double](repeating: 0, count: n)
            for i0 in stride(from: 0, to: n, by: imageChunk) {
                let b = min(imageChunk, n - i0)
                let muB = try mu.slice(axis: 0, i0..<(i0 + b)).reshaped([b, 1, latent])
                let logvarB = try logvar.slice(axis: 0, i0..<(i0 + b)).reshaped([b, 1, latent])
                let sigmaB = try (logvarB * 0.5).exp()
                // ½ Σ_l logvar, the part of −log q(z|x) that does not depend on the sample.
                let halfLogDet = try logvarB.sum(axis: 2).affine(scale: 0.5)  // [b, 1]
                let xB = try images.slice(axis: 0, i0..<(i0 + b)).reshaped([b, 1, pixels])
                var running = [(max: Double, sum: Double)](repeating: (-.infinity, 0), count: b)
                for s0 in stride(from: 0, to: k, by: sampleChunk) {
                    let s = min(sampleChunk, k - s0)
                    // With b > 1 the chunk holds every sample (s = k), so the b·s·latent numbers are contiguous.
                    let offset = UInt64(((firstImage + i0) * k + s0) * latent)
                    let eps = try Tensor.randomNormal([b, s, latent], seed: seed, offset: offset, on: device)
                    let z = try muB + sigmaB * eps
                    let output = try decode(z.reshaped([b * s, latent])).reshaped([b, s, pixels])
                    let logLikelihood = try perImageLogLikelihood(output, xB.expanded(to: [b, s, pixels]))  // [b, s]
                    // log p(z) − log q(z|x) = −½Σz² + ½Σeps² + ½Σlogvar (the 2π terms cancel).
                    let logPrior = try z.square().sum(axis: 2).affine(scale: -0.5)
                    let logPosterior = try eps.square().sum(axis: 2).affine(scale: -0.5) - halfLogDet
                    let logWeights = try logLikelihood + logPrior - logPosterior  // [b, s]
                    let chunkMax = try logWeights.max(axis: 1).toArray()
                    let chunkLSE = try logWeights.logsumexp(axis: 1).toArray()
                    for j in 0..<b {
                        // Combine log Σ exp over chunks: keep (m, Σ exp(· − m)).
                        let lse = Double(chunkLSE[j])
                        let m = max(running[j].max, Double(chunkMax[j]))
                        let previous = running[j].max == -.infinity ? 0 : running[j].sum * Foundation.exp(running[j].max - m)
                        running[j] = (m, previous + Foundation.exp(lse - m))
                    }
                }
                for j in 0..<b { bounds[i0 + j] = running[j].max + Foundation.log(running[j].sum) - Foundation.log(Double(k)) }
            }
            return bounds
        }
    }

    /// log p(x|z) per row of `output` and `targets` [..., P] (decoder outputs flattened), summed over the last axis.
    func perImageLogLikelihood(_ output: Tensor, _ targets: Tensor) throws -> Tensor {
        let p = Float(output.shape.last ?? 1)
        switch config.decoder {
        case .bernoulli:
            return try output.binaryCrossEntropyWithLogits(targets).sum(axis: -1).neg()
        case .gaussian, .gaussianLearned:
            let logSigma = try config.decoder == .gaussian ? Float(Foundation.log(config.sigma)) : self.logSigma!.item()
            let inverseVariance = Foundation.exp(-2 * logSigma)
            return try (output - targets).square().sum(axis: -1)
                .affine(scale: -0.5 * inverseVariance, shift: -p * (logSigma + Self.halfLog2Pi))
        }
    }

    /// `count` images from the prior: z ~ N(0, I) from `noise`, decoded; [count, 1, 28, 28] in [0, 1]
    /// (sigmoid of the Bernoulli logits — the reference's `sample` — or the Gaussian means clamped).
    public func sample(count: Int, noise: NoiseStream, on device: any Device) throws -> Tensor {
        try withoutGrad {
            let z = try Tensor.randomNormal([count, latent], seed: noise.seed, offset: noise.take(count * latent), on: device)
            return try meanImage(decode(z))
        }
    }

    /// Reconstructions of `images` through the posterior means (z = mu), [N, 1, 28, 28] in [0, 1].
    public func reconstruct(_ images: Tensor) throws -> Tensor {
        try withoutGrad { try meanImage(decode(encode(images).mu)) }
    }

    func meanImage(_ output: Tensor) throws -> Tensor {
        try config.decoder == .bernoulli ? output.sigmoid() : output.clamped(0, 1)
    }
}
