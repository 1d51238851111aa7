import Foundation
import LatentCompute

/// Test-split figures of a `NormalizingFlow`.
public struct FlowEvaluation: Sendable, Equatable {
    public var images: Int
    /// Mean bits per dimension of the discrete images (one dequantisation sample per image).
    public var bitsPerDim: Double
    /// Mean −log P(x) of the discrete images, nats per image: −(log p(v) − D·log 256).
    public var negativeLogLikelihood: Double
}

extension NormalizingFlow {
    /// Bits/dim over the first `limit` images of `dataset` (all when nil), in eval mode without
    /// gradients, with the dequantisation noise from Philox stream `seed`.
    public func evaluate(
        _ dataset: ImageDataset, on device: any Device, limit: Int? = nil, seed: UInt64 = 0, batchSize: Int = 500
    ) throws -> FlowEvaluation {
        let total = min(limit ?? dataset.count, dataset.count)
        guard total > 0 else { throw ComputeError.invalidArgument("flow evaluation of an empty dataset") }
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false, scaling: .zeroToOne)
        let noise = NoiseStream(seed: seed)
        var bitsSum = 0.0, nllSum = 0.0, done = 0
        eval()
        for b in 0..<loader.batchesPerEpoch where done < total {
            let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
            let n = min(batch.shape[0], total - done)
            let images = try batch.imagesTensor(on: device).slice(axis: 0, 0..<n)
            let (bits, nll) = try withoutGrad {
                let u = try Tensor.randomUniform(images.shape, seed: noise.seed, offset: noise.take(images.count), on: device)
                let (_, logLikelihood) = try encode(LogitTransform.dequantize(images, uniform: u))
                return (try bitsPerDim(logLikelihood: logLikelihood).sum().item(), try logLikelihood.sum().item())
            }
            bitsSum += Double(bits)
            nllSum -= Double(nll)
            done += n
        }
        let discretisation = Double(config.dimensions) * Foundation.log(256.0)
        return FlowEvaluation(
            images: done, bitsPerDim: bitsSum / Double(done), negativeLogLikelihood: nllSum / Double(done) + discretisation)
    }
}

extension NormalizingFlow {
    /// max |decode(encode(v)) − v| over the dequantised first `count` images of `dataset`: how well
    /// the flow inverts in Float32 (sampling goes through the same inverses).
    public func inverseError(_ dataset: ImageDataset, device: any Device, count: Int = 64, seed: UInt64 = 0) throws -> Double {
        let loader = try BatchLoader(
            dataset: dataset, batchSize: min(count, dataset.count), seed: 0, shuffle: false, scaling: .zeroToOne)
        let images = try loader.batch(at: .start).imagesTensor(on: device)
        eval()
        return try withoutGrad {
            let u = try Tensor.randomUniform(images.shape, seed: seed, offset: 0, on: device)
            let v = try LogitTransform.dequantize(images, uniform: u)
            let back = try decode(encode(v).z)
            return Double(try (back - v).abs().max().item())
        }
    }
}
