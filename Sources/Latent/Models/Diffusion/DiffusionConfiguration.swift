/// What the U-Net is trained to predict.
public enum PredictionTarget: String, Codable, Sendable {
    /// The added noise ε (Ho et al. 2020, L_simple).
    case epsilon
    /// v = √ᾱ·ε − √(1 − ᾱ)·x₀ (Salimans & Ho 2022).
    case v
}

/// The forward process and training settings of a `GaussianDiffusion` (stored in checkpoints).
public struct DiffusionConfiguration: Codable, Sendable, Equatable {
    public var timesteps = 1000
    public var schedule = BetaSchedule.ho2020
    public var prediction = PredictionTarget.epsilon
    /// Label dropout for classifier-free guidance: the probability that a training label becomes the null class.
    public var unconditionalProbability: Float = 0

    public init(
        timesteps: Int = 1000, schedule: BetaSchedule = .ho2020, prediction: PredictionTarget = .epsilon,
        unconditionalProbability: Float = 0
    ) {
        self.timesteps = timesteps
        self.schedule = schedule
        self.prediction = prediction
        self.unconditionalProbability = unconditionalProbability
    }

    enum CodingKeys: String, CodingKey {
        case timesteps = "T"
        case schedule, prediction
        case unconditionalProbability = "p_uncond"
    }
}
