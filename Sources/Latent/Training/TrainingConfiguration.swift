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
    /// Warm the EMA up: update n (0 first) decays by min(emaDecay, (1 + n)/(10 + n)), not emaDecay.
    public var emaWarmup: Bool
    public var seed: UInt64
    /// How many steps with a non-finite loss or gradient may be skipped (no update) before the run
    /// stops with `TrainingError.nonFiniteLoss`; 0 stops at the first.
    public var skipNonFinite: Int
    /// `Trainer.run` reads a step's loss and metrics from the device every `logEvery` steps (and at
    /// the last); steps between never wait for the device. 1 reads every step.
    public var logEvery: Int

    public init(
        steps: Int, batchSize: Int = 128, learningRate: Float = 1e-3, warmupSteps: Int = 0,
        cosineDecay: Bool = false, weightDecay: Float = 0, gradientClip: Float? = nil,
        emaDecay: Float? = nil, seed: UInt64 = 0, skipNonFinite: Int = 0, logEvery: Int = 1, emaWarmup: Bool = false
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
        self.logEvery = logEvery
        self.emaWarmup = emaWarmup
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
    /// False for a step whose values stay on the device (`Trainer.run` between logging steps):
    /// then `loss` is NaN and `metrics` empty.
    public var valuesRead = true

    public init(step: Int, loss: Float, metrics: [(String, Float)], learningRate: Float, gradientNorm: Float?) {
        self.step = step
        self.loss = loss
        self.metrics = metrics
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
    }

    /// The report of a step whose values were not read.
    init(unreadStep step: Int, learningRate: Float) {
        self.init(step: step, loss: .nan, metrics: [], learningRate: learningRate, gradientNorm: nil)
        valuesRead = false
    }
}

/// A step's values still on the device, until `Trainer.readReport()` reads them.
struct PendingStep {
    let step: Int
    /// The loss (NaN when it or a checked gradient was not finite), one element.
    let loss: Tensor
    let metrics: [(String, Tensor)]
    /// Data parallel: the metrics as averaged over the ranks (already on the host).
    let hostMetrics: [(String, Float)]?
    /// The gradient norm before clipping (with `gradientClip`).
    let norm: Tensor?
    /// 1 when this step was skipped.
    let skipped: Tensor
    let learningRate: Float
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
