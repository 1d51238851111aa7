import LatentCompute

/// The VQ-VAE "fmnist-vq" of the reference (`VQVAE`; its PyTorch twin is `latent_torch.VQVAE` in the
/// repository's python/ folder), layer for layer and name for name:
/// `enc` (two stride-2 convs and a 1×1 conv to D channels: 7×7×D), `vq` (the `VectorQuantizer`),
/// `dec` (a 1×1 conv and two transposed convs back to 1×28×28, linear output). Images in [0, 1].
///
/// Loss = MSE(x̂, x) + codebook + β·commitment (means over elements), as the reference.
/// With `kmeansInit` the first training-mode `trainingLoss` initialises the codebook by k-means on
/// that batch's encoder outputs; with `restartAfter` > 0, `afterOptimizerStep` restarts dead codes
/// every `restartEvery` steps (both draw from the training loop's noise stream).
public final class VQVAE: Module, GenerativeModel {
    public static let modelType = "vqvae"
    public static let pixelScaling = PixelScaling.zeroToOne

    public let config: VQVAEConfig
    public let enc: Sequential
    public let vq: VectorQuantizer
    public let dec: Sequential
    /// True until k-means has initialised the codebook (only with `kmeansInit`); loading weights
    /// (`load`) clears it, so a resumed run keeps its codebook.
    public var pendingCodebookInitialization: Bool
    /// Optimizer steps taken so far (counted by `afterOptimizerStep`; the loop may set it on resume).
    public var completedSteps = 0
    private var lastNoise: NoiseStream?

    public var configJSON: String { config.json }

    public init(config: VQVAEConfig = VQVAEConfig(), initializer: ParameterInitializer) throws {
        try config.validate()
        self.config = config
        let d = config.dimension
        enc = Sequential([
            try Conv2d(1, 64, kernelSize: 4, stride: 2, padding: 1, initializer: initializer), Activation(.relu),
            try Conv2d(64, 128, kernelSize: 4, stride: 2, padding: 1, initializer: initializer), Activation(.relu),
            try Conv2d(128, d, kernelSize: 1, initializer: initializer),
        ])
        vq = try VectorQuantizer(
            codes: config.codes, dimension: d, beta: Float(config.beta), ema: config.ema,
            decay: Float(config.decay), epsilon: Float(config.epsilon), initializer: initializer)
        dec = Sequential([
            try Conv2d(d, 128, kernelSize: 1, initializer: initializer), Activation(.relu),
            try ConvTranspose2d(128, 64, kernelSize: 4, stride: 2, padding: 1, initializer: initializer), Activation(.relu),
            try ConvTranspose2d(64, 1, kernelSize: 4, stride: 2, padding: 1, initializer: initializer),
        ])
        pendingCodebookInitialization = config.kmeansInit
    }

    /// A model from the JSON of `configJSON` (e.g. a checkpoint's metadata).
    public convenience init(configJSON: String, initializer: ParameterInitializer) throws {
        try self.init(config: VQVAEConfig(json: configJSON), initializer: initializer)
    }

    /// A model with fresh weights drawn from Philox stream `seed` on `device` (the same on every backend).
    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(configJSON: configJSON, initializer: ParameterInitializer(seed: seed, device: device))
    }

    public override var children: [(String, Module)] { [("enc", enc), ("vq", vq), ("dec", dec)] }

    public override func load(_ values: [String: (shape: [Int], values: [Float])]) throws {
        try super.load(values)
        pendingCodebookInitialization = false
    }

    // MARK: forward

    /// z_e [N, D, 7, 7].
    public func encode(_ images: Tensor) throws -> Tensor { try enc(images) }

    /// Images [N, 1, 28, 28] (unclamped) from codes, Int32 [N, 7, 7].
    public func decode(codes indices: Tensor) throws -> Tensor {
        guard indices.rank == 3 else { throw ComputeError.shapeMismatch("VQVAE.decode(codes:) takes [N, H, W], got \(indices.shape)") }
        let (n, h, w) = (indices.shape[0], indices.shape[1], indices.shape[2])
        let vectors = try vq.embedding.gather(indices.reshaped([n * h * w]))
        return try dec(vectors.reshaped([n, h, w, config.dimension]).permuted([0, 3, 1, 2]))
    }

    /// Reconstruction, VQ loss and statistics for `images` [N, 1, 28, 28]. In training mode with EMA
    /// this updates the codebook (as the reference's forward does).
    public func loss(images: Tensor) throws -> VQVAELoss {
        guard images.rank == 4, Array(images.shape.dropFirst()) == [1, 28, 28] else {
            throw ComputeError.shapeMismatch("VQVAE takes images [N, 1, 28, 28], got \(images.shape)")
        }
        let q = try vq(encode(images))
        let output = try dec(q.quantized)
        let rec = try Tensor.mseLoss(output, images)
        return VQVAELoss(
            loss: try rec + q.loss, reconstruction: rec, vq: q.loss, perplexity: q.perplexity,
            usage: q.usage, output: output, indices: q.indices)
    }

    /// The training loss; metrics rec, vq, perplexity and usage (fraction of codes in use), per batch.
    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        lastNoise = noise
        if pendingCodebookInitialization, training {
            try initializeCodebook(images: images, noise: noise)
        }
        let result = try loss(images: images)
        return TrainingLoss(
            loss: result.loss,
            metrics: [
                ("rec", result.reconstruction), ("vq", result.vq),
                ("perplexity", result.perplexity), ("usage", result.usage),
            ])
    }

    /// k-means initialisation of the codebook from the encoder outputs of `images`.
    public func initializeCodebook(images: Tensor, noise: NoiseStream) throws {
        let vectors = try withoutGrad {
            try vq.gatheredOverRanks(encode(images).permuted([0, 2, 3, 1]).reshaped([-1, config.dimension]))
        }
        try vq.kmeans(vectors, iterations: config.kmeansIterations, noise: noise)
        pendingCodebookInitialization = false
    }

    /// Counts steps and restarts dead codes every `restartEvery` steps (when `restartAfter` > 0).
    /// Sums the codebook statistics over the ranks of a data-parallel run (see `VectorQuantizer.group`).
    public func join(_ group: any ProcessGroup) { vq.group = group }

    public func afterOptimizerStep() throws {
        completedSteps += 1
        if config.restartAfter > 0, completedSteps % config.restartEvery == 0, let noise = lastNoise {
            try vq.restartDeadCodes(unusedFor: config.restartAfter, noise: noise)
        }
    }

    /// Reconstructions of `images`, clamped to [0, 1], in eval mode (no EMA update) without gradients.
    public func reconstruct(_ images: Tensor) throws -> Tensor {
        let wasTraining = training
        eval()
        defer { train(wasTraining) }
        return try withoutGrad { try dec(vq(encode(images)).quantized).clamped(0, 1) }
    }
}

/// One evaluation of the VQ-VAE objective on a batch.
public struct VQVAELoss {
    /// reconstruction + vq: what training minimises.
    public let loss: Tensor
    /// MSE(x̂, x), mean over pixels.
    public let reconstruction: Tensor
    /// Codebook + β·commitment (β·commitment with EMA).
    public let vq: Tensor
    public let perplexity: Tensor
    /// Fraction of codes used in the batch.
    public let usage: Tensor
    /// x̂ [N, 1, 28, 28] (unclamped).
    public let output: Tensor
    /// Codes [N, 7, 7] (Int32).
    public let indices: Tensor
}
