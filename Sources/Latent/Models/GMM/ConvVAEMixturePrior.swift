extension ConvVAE {
    /// Mean images [N, 1, 28, 28] in [0, 1] decoded from latents z [N, latent], e.g. drawn from a
    /// Gaussian mixture fitted to the training latents ("ex-post density estimation", Ghosh et al. 2020).
    public func decodedImages(_ z: Tensor) throws -> Tensor {
        guard z.rank == 2, z.shape[1] == latent else {
            throw ComputeError.shapeMismatch("latents \(z.shape) for a VAE with \(latent) latent dimensions")
        }
        return try withoutGrad { try meanImage(decode(z)) }
    }
}
