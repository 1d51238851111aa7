import Foundation
import LatentCompute

/// The checkpointed settings of a pixel-space DiT diffusion model ("dit"):
/// {"dit": {"preset": "DiT-mini/4", "input_size": 28, "in_channels": 1, …}, "diffusion": {…}}.
/// Missing DiT keys default to a class-conditional DiT-mini/4 over 1×28×28 images (49 tokens).
public struct DiTDiffusionConfiguration: Codable, Sendable, Equatable {
    public var dit: DiTConfiguration
    public var diffusion: DiffusionConfiguration

    public static let pixelDefault = DiTConfiguration(inputSize: 28, patchSize: 4, inChannels: 1, hiddenSize: 256, depth: 6, heads: 4)

    public init(dit: DiTConfiguration = Self.pixelDefault, diffusion: DiffusionConfiguration = DiffusionConfiguration()) {
        self.dit = dit
        self.diffusion = diffusion
    }

    enum CodingKeys: String, CodingKey { case dit, diffusion }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dit = try Self.decodeDiT(c, key: .dit, defaults: Self.pixelDefault)
        diffusion = try c.decodeIfPresent(DiffusionConfiguration.self, forKey: .diffusion) ?? DiffusionConfiguration()
    }

    /// The DiT object with the pixel defaults for sizes the JSON leaves out.
    static func decodeDiT(_ c: KeyedDecodingContainer<CodingKeys>, key: CodingKeys, defaults: DiTConfiguration) throws -> DiTConfiguration {
        guard c.contains(key) else { return defaults }
        let defaultsObject = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as? [String: Any] ?? [:]
        let given = try c.decode(JSONObject.self, forKey: key).object
        var merged = given["preset"] == nil ? defaultsObject : [:]
        if given["preset"] != nil {
            merged["input_size"] = defaults.inputSize
            merged["in_channels"] = defaults.inChannels
        }
        for (k, v) in given { merged[k] = v }
        return try JSONDecoder().decode(DiTConfiguration.self, from: JSONSerialization.data(withJSONObject: merged))
    }

    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(json.utf8))
        } catch let error as DiffusionError {
            throw error
        } catch {
            throw DiffusionError.invalidConfiguration("cannot read DiT config JSON (\(error)): \(json)")
        }
        try dit.validate()
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// Any JSON object, decoded through JSONSerialization (to merge configuration objects key by key).
struct JSONObject: Decodable {
    let object: [String: Any]

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(AnyJSON.self)
        guard let object = value.value as? [String: Any] else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: decoder.codingPath, debugDescription: "expected a JSON object"))
        }
        self.object = object
    }
}

/// A JSON value of any type as Foundation objects.
struct AnyJSON: Decodable {
    let value: Any

    init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var object: [String: Any] = [:]
            for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(AnyJSON.self, forKey: key).value }
            value = object
        } else if var list = try? decoder.unkeyedContainer() {
            var array: [Any] = []
            while !list.isAtEnd { array.append(try list.decode(AnyJSON.self).value) }
            value = array
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                value = NSNull()
            } else if let b = try? single.decode(Bool.self) {
                value = b
            } else if let i = try? single.decode(Int.self) {
                value = i
            } else if let d = try? single.decode(Double.self) {
                value = d
            } else {
                value = try single.decode(String.self)
            }
        }
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A diffusion model with a DiT over pixels ("dit"): the DiT's parameters under the official names
/// (no prefix), and the Gaussian diffusion that trains and samples it.
public final class DiTDiffusionModel: Module, ImageDiffusionModel {
    public static let modelType = "dit"
    public static let pixelScaling = PixelScaling.minusOneToOne

    public let configuration: DiTDiffusionConfiguration
    public let dit: DiT
    public let diffusion: GaussianDiffusion

    public init(_ configuration: DiTDiffusionConfiguration = DiTDiffusionConfiguration(), initializer: ParameterInitializer) throws {
        self.configuration = configuration
        dit = try DiT(configuration.dit, initializer: initializer)
        diffusion = try GaussianDiffusion(configuration.diffusion)
    }

    public convenience init(configJSON: String, device: any Device, seed: UInt64) throws {
        try self.init(DiTDiffusionConfiguration(json: configJSON), initializer: ParameterInitializer(seed: seed, device: device))
    }

    public var configJSON: String { configuration.json }
    public override var children: [(String, Module)] { dit.children }
    public var denoiser: any DiffusionDenoiser { dit }
    public var numClasses: Int? { configuration.dit.numClasses }
    public var imageShape: [Int] { dit.inputShape }

    public func trainingLoss(images: Tensor, labels: Tensor, noise: NoiseStream) throws -> TrainingLoss {
        try diffusion.trainingLoss(dit, images: images, labels: labels, noise: noise)
    }

    public func sample(
        count: Int, labels: [Int32]?, options: SamplerOptions,
        progress: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        try diffusion.sample(dit, count: count, labels: labels, options: options, progress: progress)
    }
}
