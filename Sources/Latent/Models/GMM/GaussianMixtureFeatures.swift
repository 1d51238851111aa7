/// The vectors a mixture is fitted to: image pixels in [0, 1], or a VAE's latent means.
public enum GaussianMixtureFeatures {
    /// The first `limit` images (default all) of `dataset` as rows of pixels in [0, 1] (N × C·H·W).
    public static func pixels(_ dataset: ImageDataset, limit: Int? = nil, on device: any Device) throws -> Tensor {
        let n = Swift.min(limit ?? dataset.count, dataset.count)
        let size = dataset.imageSize
        let values = dataset.pixels[0..<(n * size)].map { Float($0) / 255 }
        return try Tensor(values, shape: [n, size], on: device)
    }

    /// The encoder means μ(x) of `vae` for the first `limit` images (N × latent), in batches.
    public static func latentMeans(
        _ vae: ConvVAE, _ dataset: ImageDataset, limit: Int? = nil, batchSize: Int = 500,
        on device: any Device
    ) throws -> Tensor {
        let n = Swift.min(limit ?? dataset.count, dataset.count)
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false, scaling: .zeroToOne)
        var rows: [Float] = []
        rows.reserveCapacity(n * vae.latent)
        var position = BatchPosition.start
        try withoutGrad {
            while rows.count < n * vae.latent {
                let images = try loader.batch(at: position).imagesTensor(on: device)
                rows += try vae.encode(images).mu.toArray()
                position = loader.position(after: position)
            }
        }
        return try Tensor(Array(rows[0..<(n * vae.latent)]), shape: [n, vae.latent], on: device)
    }
}
