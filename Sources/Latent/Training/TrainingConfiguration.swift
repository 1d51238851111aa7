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
    /// How many steps with a non-finite loss or gradient may be skipped (no update) before the run
    /// stops with `TrainingError.nonFiniteLoss`; 0 stops at the first.
    public var skipNonFinite: Int

    public init(
        steps: Int, batchSize: Int = 128, learningRate: Float = 1e-3, warmupSteps: Int = 0,
        cosineDecay: Bool = false, weightDecay: Float = 0, gradientClip: Float? = nil,
        emaDecay: Float? = nil, seed: UInt64 = 0, skipNonFinite: Int = 0
    ) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.cosineDecay = cosineDecay
        self.weightDecay = weightDecay
        self.gradientClip = gradientClip
        self.emaDecay = emaDecay
        self.seed = seed
        self.skipNonFinite = skipNonFinite
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
    /// True when the loss or a gradient was not finite and the step was skipped (`skipNonFinite`):
    /// the batch was consumed but no weight changed.
    public var skippedNonFinite = false
}

/// Training failures with a message that says what happened and what to do.
public enum TrainingError: Error, CustomStringConvertible {
    /// `culprit` names the first non-finite tensor; `skipped` counts the steps skipped before.
    case nonFiniteLoss(step: Int, culprit: String, skipped: Int, lastCheckpoint: String?)
    case incompatibleCheckpoint(String)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(step, culprit, skipped, last):
            "the loss became NaN or infinite at step \(step): \(culprit); "
                + (skipped > 0 ? "\(skipped) non-finite steps were skipped before; " : "")
                + (last.map { "the last good checkpoint is \($0); " } ?? "")
                + "lower --lr, enable --clip, or skip such steps with --skip-nonfinite N"
        case let .incompatibleCheckpoint(message): message
        }
    }
}
