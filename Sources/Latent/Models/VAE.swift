import Foundation
import LatentCompute

/// The convolutional VAE "fmnist-conv" of the reference (`ConvVAE`; its PyTorch twin is
/// `latent_torch.ConvVAE` in the repository's python/ folder), layer for layer and
/// name for name: `enc.0/2` convs, `enc.5` the Linear to 2·latent (mu, logvar), `dec.0` the Linear from
/// z, `dec.3/5` the transposed convs. Images 1×28×28 in [0, 1].
///
/// Training minimises −ELBO = E_q[−log p(x|z)] + KL(q(z|x) ‖ N(0, I)) in nats per image, with one
/// reparameterised sample z = mu + exp(½·logvar)·eps per image and the analytic KL; the KL term is
/// weighted by `currentKLWeight` (β and linear warm-up from the config, by `completedSteps`).
public final class ConvVAE: Module, GenerativeModel {
    public static let modelType = "vae"
    public static let pixelScaling = PixelScaling.zeroToOne
    /// Pixels of one image (1×28×28).
    public static let imageShape = [1, 28, 28]

    public let config: VAEConfig
    public let enc: Sequential
    public let dec: Sequential
    /// log σ of the Gaussian decoder with learned variance ([1], state_dict key "log_sigma"); nil otherwise.
    public let logSigma: Tensor?
    /// Optimizer steps taken so far: `afterOptimizerStep()` counts them; the training loop sets it
    /// when it resumes from a checkpoint, so the KL warm-up continues where it stopped.
    public var completedSteps = 0

    public var latent: Int { config.latent }
    public var configJSON: String { config.json }
    /// The KL weight for the next training step: β·min(1, (completedSteps + 1)/warmup).
    public var currentKLWeight: Float { config.klWeight(atStep: completedSteps + 1) }

    /// A freshly initialised model (PyTorch's default init, drawn from `initializer`'s Philox stream).
    public init(config: VAEConfig = VAEConfig(), initializer: ParameterInitializer) throws {
        try config.validate()
        self.config = config
        let hidden = 64 * 7 * 7
        enc = Sequential([
            try Conv2d(1, 32, kernelSize: 4, stride: 2, padding: 1, initializer: initializer), Activation(.relu),
            try Conv2d(32, 64, kernelSize: 4, stride: 2, padding: 1, initializer: initializer), Activation(.relu),
            Flatten(), try Linear(hidden, 2 * config.latent, initializer: initializer),
        ])
        dec = Sequential([
            try Linear(config.latent, hidden, initializer: initializer), Activation(.relu), Unflatten([64, 7, 7]),
            try ConvTranspose2d(64, 32, kernelSize: 4, stride: 2, padding: 1, initializer: initializer), Activation(.relu),
            try ConvTranspose2d(32, 1, kernelSize: 4, stride: 2, padding: 1, initializer: initializer),
        ])
        logSigma =
            try config.decoder == .gaussianLearned
            ? initializer.constant([1], Float(Foundation.log(config.sigma))) : nil
    }

    /// A model from the JSON of `configJSON` (e.g. a checkpoint's metadata).
    public convenience init(configJSON: String, initializer: ParameterInitializer) throws {
        try self.init(config: VAEConfig(json: configJSON), initializer: initializer)
    }

    /// A model with fresh weights drawn from Philox stream `seed` on `device` (the same on every backend).
    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(configJSON: configJSON, initializer: ParameterInitializer(seed: seed, device: device))
    }

    public override var localParameters: [(String, Tensor)] { logSigma.map { [("log_sigma", $0)] } ?? [] }
    public override var children: [(String, Module)] { [("enc", enc), ("dec", dec)] }

    /// Counts optimizer steps for the KL warm-up.
    public func afterOptimizerStep() throws { completedSteps += 1 }

    // MARK: forward

    /// q(z|x): mean and log-variance, each [N, latent], the two halves of the encoder output.
    public func encode(_ images: Tensor) throws -> (mu: Tensor, logvar: Tensor) {
        let h = try enc(images)
        return (try h.slice(axis: 1, 0..<latent), try h.slice(axis: 1, latent..<(2 * latent)))
    }

    /// The decoder output for z [N, latent]: Bernoulli logits or Gaussian means, [N, 1, 28, 28].
    public func decode(_ z: Tensor) throws -> Tensor { try dec(z) }

    /// The loss on `images` [N, 1, 28, 28] with the reparameterisation noise `eps` [N, latent] given
    /// explicitly (the interop tests feed PyTorch's noise here). `klWeight` defaults to `currentKLWeight`.
    public func loss(images: Tensor, eps: Tensor, klWeight: Float? = nil) throws -> VAELoss {
        let n = images.shape.first ?? 0
        guard images.rank == 4, n > 0, Array(images.shape.dropFirst()) == Self.imageShape else {
            throw ComputeError.shapeMismatch("ConvVAE takes images [N, 1, 28, 28], got \(images.shape)")
        }
        guard eps.shape == [n, latent] else {
            throw ComputeError.shapeMismatch("ConvVAE noise must be [\(n), \(latent)], got \(eps.shape)")
        }
        let (mu, logvar) = try encode(images)
        let z = try mu + (logvar * 0.5).exp() * eps
        let output = try decode(z)
        let scale = 1 / Float(n)
        let rec = try reconstructionNLL(output, images).affine(scale: scale)
        let kl = try Tensor.gaussianKL(mean: mu, logVariance: logvar).affine(scale: scale)
        let weight = klWeight ?? currentKLWeight
        let total = try weight == 1 ? rec + kl : rec + kl * weight
        return VAELoss(loss: total, reconstruction: rec, kl: kl, output: output, mu: mu, logvar: logvar)
    }

    /// The training loss with eps drawn from `noise` (Philox, N·latent numbers).
    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        let n = images.shape.first ?? 0
        let eps = try Tensor.randomNormal([n, latent], seed: noise.seed, offset: noise.takeRows(n, perRow: latent), on: images.device)
        let result = try loss(images: images, eps: eps)
        return TrainingLoss(loss: result.loss, metrics: [("rec", result.reconstruction), ("kl", result.kl)])
    }

    /// −log p(x|z) summed over all pixels and images (a scalar), differentiable.
    func reconstructionNLL(_ output: Tensor, _ images: Tensor) throws -> Tensor {
        switch config.decoder {
        case .bernoulli:
            return try Tensor.bceWithLogitsLoss(output, images)
        case .gaussian:
            let sigma = Float(config.sigma)
            let constant = Float(images.count) * (Float(Foundation.log(config.sigma)) + Self.halfLog2Pi)
            return try (output - images).square().sum().affine(scale: 1 / (2 * sigma * sigma), shift: constant)
        case .gaussianLearned:
            let logSigma = try self.logSigma!.reshaped([])
            let squared = try (output - images).square().sum()
            let precision = try (logSigma * -2).exp() * 0.5
            return try squared * precision + logSigma.affine(scale: Float(images.count), shift: Float(images.count) * Self.halfLog2Pi)
        }
    }

    static let halfLog2Pi = Float(0.5 * Foundation.log(2 * Double.pi))
}

/// One evaluation of the VAE objective: every scalar is per image (averaged over the batch).
public struct VAELoss {
    /// reconstruction + klWeight·kl: what training minimises.
    public let loss: Tensor
    /// E_q[−log p(x|z)] estimated with the given eps, nats per image.
    public let reconstruction: Tensor
    /// KL(q(z|x) ‖ N(0, I)), nats per image.
    public let kl: Tensor
    /// Decoder output (logits or means) [N, 1, 28, 28].
    public let output: Tensor
    public let mu: Tensor
    public let logvar: Tensor

    /// −ELBO = reconstruction + kl (unweighted), nats per image.
    public func negativeELBO() throws -> Tensor { try reconstruction + kl }
}
