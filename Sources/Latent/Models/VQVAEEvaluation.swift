import Foundation
import LatentCompute

/// Test-split figures of a `VQVAE`.
public struct VQVAEEvaluation: Sendable, Equatable {
    public var images: Int
    /// Mean squared error of the reconstructions (unclamped, as in training), per pixel.
    public var reconstructionMSE: Double
    /// exp(entropy) of the code histogram over all images' 7×7 codes (1…K).
    public var perplexity: Double
    /// Fraction of the K codes chosen at least once over the split.
    public var codesInUse: Double
    /// Mean over batches of the per-batch perplexity (the figure the training log shows).
    public var meanBatchPerplexity: Double
}

extension VQVAE {
    /// Reconstruction MSE, perplexity and codes in use over the first `limit` images of `dataset`
    /// (all when nil), in eval mode (no EMA update) without gradients, `batchSize` images at a time.
    public func evaluate(
        _ dataset: ImageDataset, on device: any Device, limit: Int? = nil,
        batchSize: Int = 500
    ) throws -> VQVAEEvaluation {
        let count = min(limit ?? dataset.count, dataset.count)
        guard count > 0 else { throw ComputeError.invalidArgument("VQ-VAE evaluation of an empty dataset") }
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false, scaling: .zeroToOne)
        let wasTraining = training
        eval()
        defer { train(wasTraining) }
        return try withoutGrad {
            var (squaredError, batchPerplexity, done, batches) = (0.0, 0.0, 0, 0)
            var histogram = try Tensor.zeros([config.codes], on: device)
            for b in 0..<loader.batchesPerEpoch where done < count {
                let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
                let n = min(batch.shape[0], count - done)
                let x = try batch.imagesTensor(on: device).slice(axis: 0, 0..<n)
                let q = try vq(encode(x))
                let output = try dec(q.quantized)
                squaredError += Double(try (output - x).square().sum().item())
                batchPerplexity += Double(try q.perplexity.item())
                histogram = try histogram + q.counts
                done += n
                batches += 1
            }
            let (perplexity, usage) = try VectorQuantizer.codeStatistics(histogram)
            return VQVAEEvaluation(
                images: count, reconstructionMSE: squaredError / Double(count * 28 * 28),
                perplexity: Double(try perplexity.item()), codesInUse: Double(try usage.item()),
                meanBatchPerplexity: batchPerplexity / Double(batches))
        }
    }
}
