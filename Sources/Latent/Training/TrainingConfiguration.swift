/// Hyper-parameters of a training run that are not part of the model.
public struct TrainingConfiguration: Sendable, Equatable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Float
    public var warmupSteps: Int
    /// Cosine decay of the learning rate to 0 over `steps` (after warm-up).
    public var cosineDecay: Bool
    public var weightDecay: Float
    /// Clip gradients to this global L2 norm (nil: no clipping).
    public var gradientClip: Float?
    /// Keep an exponential moving average of the weights with this decay (nil: none).
    public var emaDecay: Float?
    public var seed: UInt64

    public init(steps: Int, batchSize: Int = 128, learningRate: Float = 1e-3, warmupSteps: Int = 0,
                cosineDecay: Bool = false, weightDecay: Float = 0, gradientClip: Float? = nil,
                emaDecay: Float? = nil, seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.cosineDecay = cosineDecay
        self.weightDecay = weightDecay
        self.gradientClip = gradientClip
        self.emaDecay = emaDecay
        self.seed = seed
    }

    public var schedule: LearningRateSchedule {
        LearningRateSchedule(base: learningRate, warmupSteps: warmupSteps, cosineTotalSteps: cosineDecay ? steps : nil)
    }
}

/// What one optimizer step reports.
public struct StepReport: Sendable {
    public let step: Int
    public let loss: Float
    public let metrics: [(String, Float)]
    public let learningRate: Float
    public let gradientNorm: Float?
}

/// Training failures with a message that says what happened and what to do.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFiniteLoss(step: Int, lastCheckpoint: String?)
    case incompatibleCheckpoint(String)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(step, last):
            "the loss became NaN or infinite at step \(step); "
                + (last.map { "the last good checkpoint is \($0); " } ?? "")
                + "lower --lr or enable --clip"
        case let .incompatibleCheckpoint(message): message
        }
    }
}
