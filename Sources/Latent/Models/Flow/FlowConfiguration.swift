import Foundation
import LatentCompute

/// How an affine coupling layer turns the network's raw output into a positive scale.
public enum FlowCouplingScale: String, Codable, Sendable, CaseIterable {
    /// Glow: s = sigmoid(raw + 2), y = (x + t)·s.
    case glow
    /// RealNVP: log s = tanh(raw), y = x·exp(log s) + t.
    case realnvp
}

/// The configuration of a `NormalizingFlow`, stored as JSON in checkpoints. Missing keys take their
/// defaults, so `{}` is a two-level Glow-style flow for 1×28×28 images.
public struct FlowConfiguration: Codable, Sendable, Equatable {
    /// Image channels and side (square images); Fashion-MNIST: 1 and 28.
    public var channels: Int
    public var imageSize: Int
    /// Scales: each squeezes 2×2 space into channels, runs `stepsPerLevel` steps of flow, and all
    /// but the last factor half of the channels out to the N(0, I) prior.
    public var levels: Int
    public var stepsPerLevel: Int
    /// Channels of the hidden layers of each coupling network.
    public var hidden: Int
    public var coupling: FlowCouplingScale
    /// The logit transform's α: y = logit(α + (1 − 2α)·x) (RealNVP: 0.05).
    public var alpha: Double

    public init(
        channels: Int = 1, imageSize: Int = 28, levels: Int = 2, stepsPerLevel: Int = 8, hidden: Int = 96,
        coupling: FlowCouplingScale = .glow, alpha: Double = 0.05
    ) {
        self.channels = channels
        self.imageSize = imageSize
        self.levels = levels
        self.stepsPerLevel = stepsPerLevel
        self.hidden = hidden
        self.coupling = coupling
        self.alpha = alpha
    }

    /// Decodes JSON, defaulting missing keys, and validates the values.
    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(FlowConfiguration.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ComputeError.invalidArgument("flow config \(json): \(error)")
        }
        try validate()
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FlowConfiguration()
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? d.channels
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        levels = try c.decodeIfPresent(Int.self, forKey: .levels) ?? d.levels
        stepsPerLevel = try c.decodeIfPresent(Int.self, forKey: .stepsPerLevel) ?? d.stepsPerLevel
        hidden = try c.decodeIfPresent(Int.self, forKey: .hidden) ?? d.hidden
        coupling = try c.decodeIfPresent(FlowCouplingScale.self, forKey: .coupling) ?? d.coupling
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? d.alpha
    }

    /// Throws a one-line error when a value is out of range or the image does not squeeze `levels` times.
    public func validate() throws {
        let limit = ModelLimits.maximumWidth
        for (name, value) in [("channels", channels), ("imageSize", imageSize), ("stepsPerLevel", stepsPerLevel), ("hidden", hidden)] {
            guard (1...limit).contains(value) else { throw ComputeError.invalidArgument("flow \(name) must be 1...\(limit), not \(value)") }
        }
        guard (1...8).contains(levels) else { throw ComputeError.invalidArgument("flow levels must be 1...8, not \(levels)") }
        guard alpha > 0, alpha < 0.5 else { throw ComputeError.invalidArgument("flow alpha must be in (0, 0.5), not \(alpha)") }
        var side = imageSize
        for level in 1...levels {
            guard side % 2 == 0 else {
                throw ComputeError.invalidArgument(
                    "flow input \(imageSize)×\(imageSize) is not divisible by the squeeze factor 2 at level \(level) "
                        + "(side \(side)); use at most \(level - 1) levels")
            }
            side /= 2
        }
    }

    /// Values per image, D = C·H·W.
    public var dimensions: Int { channels * imageSize * imageSize }

    /// Channels and side of the tensor that level `level` (0-based) works on, after its squeeze.
    public func levelShape(_ level: Int) -> (channels: Int, side: Int) {
        // Each earlier level kept half of its 4× channels.
        var c = channels, side = imageSize
        for l in 0...level {
            c *= 4
            side /= 2
            if l < level { c /= 2 }
        }
        return (c, side)
    }

    /// Compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
