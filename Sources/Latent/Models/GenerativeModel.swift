import LatentCompute

/// What the training loop, `latent train`, checkpoints and resume need from every model family.
public protocol GenerativeModel: Module {
    /// The name used on the command line and in checkpoints: "vae", "vqvae", "ddpm", "classifier".
    static var modelType: String { get }
    /// The pixel range the model trains on ([0, 1] for VAE/VQ-VAE, [−1, 1] for diffusion and the classifier).
    static var pixelScaling: PixelScaling { get }
    /// The model's configuration as JSON, stored in checkpoint metadata so a checkpoint alone rebuilds it.
    var configJSON: String { get }
    /// A model with freshly initialised weights (from `seed`, the same on every backend) for a
    /// configuration as `configJSON` writes it; "{}" means the defaults. Throws on a bad config.
    init(configJSON: String, device: any Device, seed: UInt64) throws
    /// The loss to minimise on one batch (images [N, C, H, W] and Int32 labels [N] on the model's
    /// device), with named scalar metrics to log. Noise is drawn from `noise`.
    func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss
    /// The loss on one loader batch: by default its images and labels uploaded to `device` and
    /// `trainingLoss(images:labels:noise:)`; the latent diffusion model looks its latents up by dataset index.
    func trainingLoss(batch: Batch, device: any Device, noise: NoiseStream) throws -> TrainingLoss
    /// Called after each optimizer step (e.g. the VQ-VAE's EMA codebook update or dead-code restart).
    func afterOptimizerStep() throws
    /// Called when training resumes at `step`, for state that follows the step count (KL warm-up).
    func resumeTraining(atStep step: Int)
    /// Called by a data-parallel trainer: a model whose training step uses statistics of the whole
    /// batch beyond its loss (the VQ-VAE's EMA codebook) sums them over the group's ranks.
    func join(_ group: any ProcessGroup)
}

extension GenerativeModel {
    public func trainingLoss(batch: Batch, device: any Device, noise: NoiseStream) throws -> TrainingLoss {
        try trainingLoss(images: batch.imagesTensor(on: device), labels: batch.labelsTensor(on: device), noise: noise)
    }

    public func afterOptimizerStep() throws {}
    public func resumeTraining(atStep step: Int) {}
    public func join(_ group: any ProcessGroup) {}
}

extension ConvVAE {
    public func resumeTraining(atStep step: Int) { completedSteps = step }
}

extension VQVAE {
    public func resumeTraining(atStep step: Int) { completedSteps = step }
}

/// A training loss and the scalar metrics that go with it (read from the device only when logged).
public struct TrainingLoss {
    public let loss: Tensor
    public let metrics: [(String, Tensor)]

    public init(loss: Tensor, metrics: [(String, Tensor)] = []) {
        self.loss = loss
        self.metrics = metrics
    }
}
