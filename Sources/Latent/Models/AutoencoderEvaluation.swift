import Foundation
import LatentCompute

/// Test-split figures of an autoencoder: reconstruction error through the posterior means, on the
/// [0, 1] pixel scale (MSE and PSNR = 10·log10(1/MSE)), and optionally FID-FMNIST of the reconstructions.
public struct AutoencoderEvaluation: Sendable {
    public var images = 0
    /// Mean squared error per pixel, pixels in [0, 1].
    public var reconstructionMSE = 0.0
    /// 10·log10(1 / reconstructionMSE) in dB.
    public var psnr: Double { 10 * Foundation.log10(1 / reconstructionMSE) }
    /// FID-FMNIST of the reconstructions against the test set (nil when no classifier was given).
    public var reconstructionFID: Double?
}

extension AutoencoderKL {
    /// Reconstructs the first `limit` images of `dataset` (all when nil) `batchSize` at a time; with
    /// `fid`, their classifier features give the reconstructions' FID-FMNIST.
    public func evaluate(
        _ dataset: ImageDataset, on device: any Device, limit: Int? = nil, batchSize: Int = 250,
        fid: FIDFMNIST? = nil
    ) throws -> AutoencoderEvaluation {
        let total = Swift.min(limit ?? dataset.count, dataset.count)
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false, scaling: .minusOneToOne)
        let collector = fid.map { FeatureCollector(classifier: $0.classifier) }
        var squared = 0.0, done = 0
        eval()
        for b in 0..<loader.batchesPerEpoch where done < total {
            let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
            let n = Swift.min(batch.shape[0], total - done)
            let images = try batch.imagesTensor(on: device).slice(axis: 0, 0..<n)
            let reconstructions = try reconstruct(images).clamped(-1, 1)
            // (x̂ − x)² on [−1, 1] is 4× its value on [0, 1].
            squared += Double(try withoutGrad { try (reconstructions - images).square().sum() }.item()) / 4
            try collector?.add(reconstructions, labels: Array(batch.labels.prefix(n)))
            done += n
        }
        var result = AutoencoderEvaluation()
        result.images = done
        result.reconstructionMSE = squared / Double(Swift.max(done * config.inChannels * config.resolution * config.resolution, 1))
        if let fid, let collector { result.reconstructionFID = try fid.distance(collector) }
        return result
    }

    /// 1 / the standard deviation of posterior samples z = mean + std·ε over the first `limit` images of
    /// `dataset` (LDM's scale_factor, which LDM takes from one batch), ε from Philox stream `seed`.
    public func latentScale(
        _ dataset: ImageDataset, on device: any Device, limit: Int = 5000, batchSize: Int = 250,
        seed: UInt64 = 0x5CA1E
    ) throws -> Float {
        let total = Swift.min(limit, dataset.count)
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false, scaling: .minusOneToOne)
        var sum = 0.0, sumSquares = 0.0, count = 0, done = 0
        try withoutGrad {
            for b in 0..<loader.batchesPerEpoch where done < total {
                let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
                let n = Swift.min(batch.shape[0], total - done)
                let (mean, logvar) = try encode(batch.imagesTensor(on: device).slice(axis: 0, 0..<n))
                let eps = try Tensor.randomNormal(mean.shape, seed: seed, offset: UInt64(done * latentShape.reduce(1, *)), on: device)
                for v in try (mean + (logvar * 0.5).exp() * eps).toArray() {
                    sum += Double(v)
                    sumSquares += Double(v) * Double(v)
                }
                count += mean.count
                done += n
            }
        }
        let mean = sum / Double(Swift.max(count, 1))
        // torch.std: the unbiased estimate.
        let variance = (sumSquares - Double(count) * mean * mean) / Double(Swift.max(count - 1, 1))
        return Float(1 / variance.squareRoot())
    }
}
