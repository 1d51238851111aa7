import ArgumentParser
import Foundation
import Latent

/// The normalizing flow's parts of `latent eval`, `sample` and `fid`.
extension NormalizingFlow {
    /// `latent eval` rows: test bits/dim and nats.
    func evaluationRows(_ test: ImageDataset, device: any Device, limit: Int?, seed: UInt64) throws -> [(String, Double)] {
        let e = try evaluate(test, on: device, limit: limit, seed: seed)
        return [
            ("images", Double(e.images)), ("bits_per_dim", e.bitsPerDim), ("neg_log_likelihood_nats", e.negativeLogLikelihood),
            ("inverse_max_error", try inverseError(test, device: device, seed: seed)),
        ]
    }

    /// Images of batch `batch` of a run seeded `seed`: each batch its own Philox stream, so the
    /// samples do not depend on the batch size beyond the first.
    func images(count: Int, temperature: Float, seed: UInt64, batch: Int, on device: any Device) throws -> Tensor {
        let noise = NoiseStream(seed: seed, offset: UInt64(batch) << 32)
        return try sample(count: count, temperature: temperature, noise: noise, on: device)
    }
}

extension FIDCommand {
    /// FID-FMNIST of `count` flow samples at `temperature`.
    func scoreFlow(_ flow: NormalizingFlow, temperature: Float, fid: FIDFMNIST, device: any Device) throws -> [(String, Figure)] {
        let collector = FeatureCollector(classifier: fid.classifier)
        var kept: [Tensor] = []
        var batch = 0
        while collector.count < count {
            let images = try flow.images(
                count: min(batchSize, count - collector.count), temperature: temperature, seed: seed, batch: batch, on: device)
            try collector.add(images.affine(scale: 2, shift: -1))
            if out != nil { kept.append(images) }
            batch += 1
        }
        if let out { try writeSamples(Tensor.concat(kept, axis: 0), range: 0...1, labels: nil, to: out) }
        return [("fid_fmnist", .real(try fid.distance(collector))), ("samples", .integer(count)), ("temperature", .real(Double(temperature)))]
    }
}
