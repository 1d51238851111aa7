import Foundation
import LatentCompute

/// The configuration of a `ConvVAE`, stored as JSON in checkpoints (`configJSON`). Missing keys take
/// their defaults, so `{}` is the reference "fmnist-conv" model.
public struct VAEConfig: Codable, Sendable, Equatable {
    /// The likelihood p(x|z) the decoder parameterises.
    public enum Decoder: String, Codable, Sendable, CaseIterable {
        /// Bernoulli logits, x in [0, 1] as soft targets: −log p(x|z) = Σ BCE-with-logits (the reference).
        case bernoulli
        /// Gaussian N(x; μ, σ²) with a fixed σ (`sigma`): −log p(x|z) = Σ (x − μ)²/(2σ²) + log σ + ½ log 2π.
        case gaussian
        /// Gaussian with one learned σ shared by all pixels: parameter `log_sigma` [1], initialised to log(`sigma`).
        case gaussianLearned = "gaussian-learned"
    }

    /// Dimension of z (reference: 16).
    public var latent: Int
    public var decoder: Decoder
    /// σ of the Gaussian decoder (the initial σ when learned); unused by the Bernoulli decoder.
    public var sigma: Double
    /// β of the β-VAE: the KL term's weight after warm-up (1 = the ELBO).
    public var beta: Double
    /// Steps of linear KL warm-up: the KL weight of step s (1-based) is β·min(1, s / warmup); 0 = none.
    public var warmup: Int

    public init(latent: Int = 16, decoder: Decoder = .bernoulli, sigma: Double = 0.1, beta: Double = 1, warmup: Int = 0) {
        self.latent = latent
        self.decoder = decoder
        self.sigma = sigma
        self.beta = beta
        self.warmup = warmup
    }

    /// Decodes JSON, defaulting missing keys, and validates the values.
    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(VAEConfig.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ComputeError.invalidArgument("VAE config \(json): \(error)")
        }
        try validate()
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = VAEConfig()
        latent = try c.decodeIfPresent(Int.self, forKey: .latent) ?? d.latent
        self.decoder = try c.decodeIfPresent(Decoder.self, forKey: .decoder) ?? d.decoder
        sigma = try c.decodeIfPresent(Double.self, forKey: .sigma) ?? d.sigma
        beta = try c.decodeIfPresent(Double.self, forKey: .beta) ?? d.beta
        warmup = try c.decodeIfPresent(Int.self, forKey: .warmup) ?? d.warmup
    }

    /// Throws when a value is out of range.
    public func validate() throws {
        guard (1...ModelLimits.maximumWidth).contains(latent) else {
            throw ComputeError.invalidArgument("VAE latent size must be 1...\(ModelLimits.maximumWidth), not \(latent)")
        }
        guard sigma > 0, sigma.isFinite else { throw ComputeError.invalidArgument("VAE decoder sigma must be positive, not \(sigma)") }
        guard beta >= 0, beta.isFinite else { throw ComputeError.invalidArgument("VAE beta must be >= 0, not \(beta)") }
        guard warmup >= 0 else { throw ComputeError.invalidArgument("VAE KL warm-up must be >= 0 steps, not \(warmup)") }
    }

    /// Compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain numbers and strings cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The KL weight at 1-based training step `step`: β·min(1, step/warmup).
    public func klWeight(atStep step: Int) -> Float {
        guard warmup > 0 else { return Float(beta) }
        return Float(beta * min(1, Double(max(step, 0)) / Double(warmup)))
    }
}
