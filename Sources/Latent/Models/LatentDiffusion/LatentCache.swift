import Foundation
import LatentCompute

/// The training set encoded once by the autoencoder: per image the posterior mean and standard
/// deviation [z, h, w] (unscaled), in dataset order. Stored as a safetensors file next to the run
/// ("mean", "std" [N, z, h, w]; metadata "format" = "latent-cache", "autoencoder_fnv1a64", "images",
/// "source") and reused on --resume; each training step draws z = mean + std·ε for its images.
public struct LatentCache: Sendable {
    public static let fileName = "latents.safetensors"
    public let mean: [Float]
    public let std: [Float]
    /// [z, h, w] of one latent.
    public let latentShape: [Int]
    public let autoencoderFingerprint: String
    public let source: String

    public var count: Int { mean.count / Swift.max(latentSize, 1) }
    public var latentSize: Int { latentShape.reduce(1, *) }

    public init(mean: [Float], std: [Float], latentShape: [Int], autoencoderFingerprint: String, source: String) {
        self.mean = mean
        self.std = std
        self.latentShape = latentShape
        self.autoencoderFingerprint = autoencoderFingerprint
        self.source = source
    }

    /// Encodes every image of `dataset` (pixels scaled to [−1, 1]) in batches of `batchSize`.
    public static func encode(
        _ dataset: ImageDataset, with autoencoder: AutoencoderKL, fingerprint: String,
        batchSize: Int = 250, progress: ((Int, Int) -> Void)? = nil
    ) throws -> LatentCache {
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false, scaling: .minusOneToOne)
        var mean: [Float] = [], std: [Float] = []
        mean.reserveCapacity(dataset.count * autoencoder.latentShape.reduce(1, *))
        std.reserveCapacity(mean.capacity)
        autoencoder.eval()
        try withoutGrad {
            for b in 0..<loader.batchesPerEpoch {
                let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
                let (m, logvar) = try autoencoder.encode(batch.imagesTensor(on: autoencoder.device))
                mean += try m.toArray()
                std += try (logvar * 0.5).exp().toArray()
                progress?(Swift.min((b + 1) * batchSize, dataset.count), dataset.count)
            }
        }
        return LatentCache(
            mean: mean, std: std, latentShape: autoencoder.latentShape, autoencoderFingerprint: fingerprint,
            source: dataset.source)
    }

    public func write(to path: String) throws {
        let shape = [count] + latentShape
        try SafeTensors(
            tensors: ["mean": SafeTensor(floats: mean, shape: shape), "std": SafeTensor(floats: std, shape: shape)],
            metadata: [
                "format": "latent-cache", "autoencoder_fnv1a64": autoencoderFingerprint,
                "images": String(count), "source": source,
            ]
        ).write(to: path)
    }

    /// Reads a cache and checks it belongs to this run: same autoencoder, latent shape and image count.
    public static func read(_ path: String, expectedFingerprint: String?, latentShape: [Int], images: Int) throws -> LatentCache {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileError(
                .notFound, path: path,
                "latent cache missing (the run encodes its training set there when it starts; "
                    + "start a new run, or put the run's \(fileName) back)")
        }
        let file = try SafeTensors.read(path)
        guard file.metadata?["format"] == "latent-cache", let mean = file.tensors["mean"], let std = file.tensors["std"] else {
            throw FileError(.malformed, path: path, "not a latent cache (needs tensors mean and std, metadata format latent-cache)")
        }
        let shape = [images] + latentShape
        guard mean.shape == shape, std.shape == shape else {
            throw FileError(.mismatch, path: path, "latent cache holds \(mean.shape) latents, this run needs \(shape)")
        }
        let fingerprint = file.metadata?["autoencoder_fnv1a64"] ?? ""
        if let expectedFingerprint, fingerprint != expectedFingerprint {
            throw FileError(
                .mismatch, path: path,
                "latent cache was encoded by autoencoder \(fingerprint), this LDM embeds \(expectedFingerprint)")
        }
        return LatentCache(
            mean: try mean.floats(), std: try std.floats(), latentShape: latentShape,
            autoencoderFingerprint: fingerprint, source: file.metadata?["source"] ?? "")
    }

    /// Rows `indices` as host arrays (mean, std), [B·z·h·w] each.
    func rows(_ indices: [Int]) -> (mean: [Float], std: [Float]) {
        let size = latentSize
        var m = [Float](repeating: 0, count: indices.count * size), s = m
        for (row, index) in indices.enumerated() {
            m.replaceSubrange(row * size..<(row + 1) * size, with: mean[index * size..<(index + 1) * size])
            s.replaceSubrange(row * size..<(row + 1) * size, with: std[index * size..<(index + 1) * size])
        }
        return (m, s)
    }
}
