import Foundation
import LatentCompute

/// The configuration of a `ConvClassifier`, stored as JSON in checkpoints (`configJSON`). Keys:
/// "channels", "features", "classes"; missing keys take their defaults, so `{}` is "fmnist-classifier".
public struct ClassifierConfig: Codable, Sendable, Equatable {
    /// Channels of the two 28×28 convolutions and of the 14×14 convolution (default [32, 32]: small
    /// enough that a whole training checkpoint, Adam moments included, stays under 3 MB).
    public var channels: [Int]
    /// Size of the penultimate layer, the features the Fréchet distance compares (default 128).
    public var features: Int
    /// Number of classes (Fashion-MNIST: 10).
    public var classes: Int

    public init(channels: [Int] = [32, 32], features: Int = 128, classes: Int = 10) {
        self.channels = channels
        self.features = features
        self.classes = classes
    }

    /// Decodes JSON, defaulting missing keys, and validates the values.
    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(ClassifierConfig.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ComputeError.invalidArgument("classifier config \(json): \(error)")
        }
        try validate()
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ClassifierConfig()
        channels = try c.decodeIfPresent([Int].self, forKey: .channels) ?? d.channels
        features = try c.decodeIfPresent(Int.self, forKey: .features) ?? d.features
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
    }

    /// Throws when a value is out of range.
    public func validate() throws {
        let widths = 1...ModelLimits.maximumWidth
        guard channels.count == 2, channels.allSatisfy(widths.contains) else {
            throw ComputeError.invalidArgument("classifier channels must be two numbers in \(widths), not \(channels)")
        }
        guard widths.contains(features) else { throw ComputeError.invalidArgument("classifier features must be in \(widths), not \(features)") }
        guard (2...ModelLimits.maximumWidth).contains(classes) else {
            throw ComputeError.invalidArgument("a classifier needs 2...\(ModelLimits.maximumWidth) classes, not \(classes)")
        }
    }

    /// Compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain numbers cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
