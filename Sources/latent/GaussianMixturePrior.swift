import ArgumentParser
import Foundation
import Latent

/// `--prior gmm:PATH` for a VAE: latents drawn from a Gaussian mixture fitted to its training
/// latents (ex-post density estimation, Ghosh et al. 2020) instead of N(0, I), then decoded.
enum VAEPrior {
    case standardNormal
    case mixture(GaussianMixture)

    /// Parses "normal" (or nil) and "gmm:PATH"; the mixture must match the VAE's latent size.
    init(_ text: String?, for vae: ConvVAE) throws {
        guard let text, text != "normal" else {
            self = .standardNormal
            return
        }
        guard text.hasPrefix("gmm:") else {
            throw ValidationError("--prior must be normal or gmm:PATH (a `latent train gmm --features` checkpoint), not \(text)")
        }
        let path = String(text.dropFirst(4))
        let mixture = try GaussianMixture.load(Checkpoint.read(path), path: path)
        guard let features = mixture.parameters?.features, features == vae.latent else {
            throw ValidationError("\(path) models \(mixture.parameters?.features ?? 0)-dimensional vectors; the VAE's latents have \(vae.latent)")
        }
        self = .mixture(mixture)
    }

    var name: String {
        switch self {
        case .standardNormal: "normal"
        case .mixture(let m): "gmm (\(m.configuration.components) \(m.configuration.covarianceType.rawValue))"
        }
    }

    /// `count` decoded images [count, 1, 28, 28] in [0, 1]; `batch` (≥ 0) picks a distinct noise stream.
    func images(_ vae: ConvVAE, count: Int, seed: UInt64, batch: Int = 0, on device: any Device) throws -> Tensor {
        switch self {
        case .standardNormal:
            return try vae.sample(count: count, noise: NoiseStream(seed: seed &+ UInt64(batch) &* 0x9E37_79B9), on: device)
        case .mixture(let mixture):
            // Sampling sorts by component; the order does not matter for a grid or for FID.
            let z = try mixture.sample(count: count, seed: seed &+ UInt64(batch) &* 0x9E37_79B9, on: device).samples
            return try vae.decodedImages(z)
        }
    }
}

extension FIDCommand {
    /// FID-FMNIST rows for a VAE's samples under `prior` (images mapped from [0, 1] to the classifier's [−1, 1]).
    func scoreVAE(_ vae: ConvVAE, prior: VAEPrior, fid: FIDFMNIST, device: any Device) throws -> [(String, Figure)] {
        let collector = FeatureCollector(classifier: fid.classifier)
        var kept: [Tensor] = []
        var batch = 0
        while collector.count < count {
            let images = try prior.images(vae, count: min(batchSize, count - collector.count), seed: seed, batch: batch, on: device)
            try collector.add(images.affine(scale: 2, shift: -1))
            if out != nil { kept.append(images) }
            batch += 1
        }
        if let out { try writeSamples(Tensor.concat(kept, axis: 0), range: 0...1, labels: nil, to: out) }
        return [("fid_fmnist", .real(try fid.distance(collector))), ("samples", .integer(count)), ("prior", .text(prior.name))]
    }
}
