import Foundation
import LatentCompute

/// The configuration of a `VQVAE`, stored as JSON in checkpoints (`configJSON`). Keys: "K", "D",
/// "beta", "ema", "decay", "epsilon", "restart_after", "restart_every", "kmeans_init",
/// "kmeans_iterations"; missing keys take their defaults, so `{}` is the reference "fmnist-vq".
public struct VQVAEConfig: Codable, Sendable, Equatable {
    /// K, the number of codes (reference 256).
    public var codes: Int
    /// D, the code dimension (reference 64).
    public var dimension: Int
    /// Weight of the commitment loss (reference 0.25).
    public var beta: Double
    /// EMA codebook (Razavi et al. 2019) instead of the codebook loss.
    public var ema: Bool
    /// EMA decay γ (reference 0.99).
    public var decay: Double
    /// Laplace smoothing ε of the EMA cluster sizes (reference 1e-5).
    public var epsilon: Double
    /// Dead-code restart: a code unused for this many training steps is reset to a recent encoder
    /// output chosen with the Philox stream; 0 turns restarts off (the reference has none).
    public var restartAfter: Int
    /// How often (in optimizer steps) dead codes are looked for (one read of K numbers to the host).
    public var restartEvery: Int
    /// Initialise the codebook by k-means on the encoder outputs of the first training batch.
    public var kmeansInit: Bool
    /// Lloyd iterations of that k-means.
    public var kmeansIterations: Int

    enum CodingKeys: String, CodingKey {
        case codes = "K"
        case dimension = "D"
        case beta, ema, decay, epsilon
        case restartAfter = "restart_after"
        case restartEvery = "restart_every"
        case kmeansInit = "kmeans_init"
        case kmeansIterations = "kmeans_iterations"
    }

    public init(
        codes: Int = 256, dimension: Int = 64, beta: Double = 0.25, ema: Bool = false, decay: Double = 0.99,
        epsilon: Double = 1e-5, restartAfter: Int = 0, restartEvery: Int = 100, kmeansInit: Bool = false,
        kmeansIterations: Int = 10
    ) {
        self.codes = codes
        self.dimension = dimension
        self.beta = beta
        self.ema = ema
        self.decay = decay
        self.epsilon = epsilon
        self.restartAfter = restartAfter
        self.restartEvery = restartEvery
        self.kmeansInit = kmeansInit
        self.kmeansIterations = kmeansIterations
    }

    /// Decodes JSON, defaulting missing keys, and validates the values.
    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(VQVAEConfig.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ComputeError.invalidArgument("VQ-VAE config \(json): \(error)")
        }
        try validate()
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = VQVAEConfig()
        codes = try c.decodeIfPresent(Int.self, forKey: .codes) ?? d.codes
        dimension = try c.decodeIfPresent(Int.self, forKey: .dimension) ?? d.dimension
        beta = try c.decodeIfPresent(Double.self, forKey: .beta) ?? d.beta
        ema = try c.decodeIfPresent(Bool.self, forKey: .ema) ?? d.ema
        decay = try c.decodeIfPresent(Double.self, forKey: .decay) ?? d.decay
        epsilon = try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? d.epsilon
        restartAfter = try c.decodeIfPresent(Int.self, forKey: .restartAfter) ?? d.restartAfter
        restartEvery = try c.decodeIfPresent(Int.self, forKey: .restartEvery) ?? d.restartEvery
        kmeansInit = try c.decodeIfPresent(Bool.self, forKey: .kmeansInit) ?? d.kmeansInit
        kmeansIterations = try c.decodeIfPresent(Int.self, forKey: .kmeansIterations) ?? d.kmeansIterations
    }

    /// Throws when a value is out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw ComputeError.invalidArgument("VQ-VAE config: \(message)") }
        }
        try check((1...ModelLimits.maximumWidth).contains(codes), "K must be 1...\(ModelLimits.maximumWidth), not \(codes)")
        try check((1...ModelLimits.maximumWidth).contains(dimension), "D must be 1...\(ModelLimits.maximumWidth), not \(dimension)")
        try check(beta >= 0 && beta.isFinite, "beta must be >= 0, not \(beta)")
        try check(decay > 0 && decay < 1, "decay must be in (0, 1), not \(decay)")
        try check(epsilon > 0 && epsilon.isFinite, "epsilon must be positive, not \(epsilon)")
        try check(restartAfter >= 0, "restart_after must be >= 0, not \(restartAfter)")
        try check(restartEvery >= 1, "restart_every must be >= 1, not \(restartEvery)")
        try check((0...10_000).contains(kmeansIterations), "kmeans_iterations must be 0...10000, not \(kmeansIterations)")
    }

    /// Compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
