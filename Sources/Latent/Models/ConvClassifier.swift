import LatentCompute

/// "fmnist-classifier": a small convolutional Fashion-MNIST classifier whose penultimate layer
/// provides the features of FID-FMNIST (`FrechetDistance`). It is not generative; it conforms to
/// `GenerativeModel` so that `latent train classifier` gets the trainer, checkpoints and resume.
///
/// body: 0 Conv(1→a, 3, p1) 1 ReLU 2 Conv(a→a, 3, p1) 3 ReLU 4 AvgPool(2)
///       5 Conv(a→b, 3, p1) 6 ReLU 7 AvgPool(2) 8 Flatten 9 Linear(b·7·7 → features) 10 ReLU
/// head: Linear(features → classes). Images 1×28×28 in [−1, 1], as the DDPM generates them.
public final class ConvClassifier: Module, GenerativeModel {
    public static let modelType = "classifier"
    public static let pixelScaling = PixelScaling.minusOneToOne
    /// Pixels of one image (1×28×28).
    public static let imageShape = [1, 28, 28]

    public let config: ClassifierConfig
    public let body: Sequential
    public let head: Linear

    public var configJSON: String { config.json }

    /// A freshly initialised model (PyTorch's default init, drawn from `initializer`'s Philox stream).
    public init(config: ClassifierConfig = ClassifierConfig(), initializer: ParameterInitializer) throws {
        try config.validate()
        self.config = config
        let (a, b) = (config.channels[0], config.channels[1])
        body = Sequential([
            try Conv2d(1, a, kernelSize: 3, padding: 1, initializer: initializer), Activation(.relu),
            try Conv2d(a, a, kernelSize: 3, padding: 1, initializer: initializer), Activation(.relu), AvgPool2d(2),
            try Conv2d(a, b, kernelSize: 3, padding: 1, initializer: initializer), Activation(.relu), AvgPool2d(2),
            Flatten(), try Linear(b * 7 * 7, config.features, initializer: initializer), Activation(.relu),
        ])
        head = try Linear(config.features, config.classes, initializer: initializer)
    }

    /// A model with fresh weights drawn from Philox stream `seed` on `device` (the same on every backend).
    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(config: ClassifierConfig(json: configJSON), initializer: ParameterInitializer(seed: seed, device: device))
    }

    public override var children: [(String, Module)] { [("body", body), ("head", head)] }

    // MARK: forward

    /// The penultimate activations [N, features] and the class logits [N, classes] of images [N, 1, 28, 28].
    public func featuresAndLogits(_ images: Tensor) throws -> (features: Tensor, logits: Tensor) {
        guard images.rank == 4, images.shape[0] > 0, Array(images.shape.dropFirst()) == Self.imageShape else {
            throw ComputeError.shapeMismatch("the classifier takes images [N, 1, 28, 28], got \(images.shape)")
        }
        let features = try body(images)
        return (features, try head(features))
    }

    /// Mean cross-entropy of the logits against the labels, and the batch accuracy as a metric.
    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        let logits = try featuresAndLogits(images).logits
        let loss = try Tensor.crossEntropyLoss(logits, labels: labels)
        return TrainingLoss(loss: loss, metrics: [("accuracy", try Self.accuracy(logits: logits, labels: labels))])
    }

    /// The fraction of rows of logits [N, C] whose largest value is at the Int32 label [N], as a
    /// scalar tensor on the logits' device (not differentiable). A tie for the largest counts as a hit.
    public static func accuracy(logits: Tensor, labels: Tensor) throws -> Tensor {
        try withoutGrad {
            guard logits.rank == 2, labels.dtype == .int32, labels.shape == [logits.shape[0]], logits.shape[0] > 0 else {
                throw ComputeError.shapeMismatch("accuracy needs logits [N, C] and int32 labels [N], got \(logits.shape) and \(labels.shape)")
            }
            let oneHot = try labels.oneHot(classes: logits.shape[1])
            let isLargest = try logits.apply(.equal, logits.max(axis: 1, keepDims: true))
            return try (isLargest * oneHot).max(axis: 1).mean()
        }
    }
}
