import Foundation
import LatentCompute

/// Which network denoises the latents.
public enum LatentDenoiserKind: String, Codable, Sendable {
    case dit, unet
}

/// The checkpointed settings of a latent diffusion model ("ldm"):
/// {"autoencoder": {…its config…}, "autoencoder_checkpoint": "path", "autoencoder_fnv1a64": "hex",
///  "denoiser": "dit" | "unet", "dit": {…}, "unet": {…}, "diffusion": {…}}.
/// The autoencoder's weights travel inside the LDM checkpoint (`first_stage_model.*`); the path and
/// fingerprint record where they came from. The denoiser's input must be the autoencoder's latent shape.
public struct LatentDiffusionConfiguration: Codable, Sendable, Equatable {
    public var autoencoder: AutoencoderConfig
    public var autoencoderCheckpoint: String?
    public var autoencoderFingerprint: String?
    public var denoiser: LatentDenoiserKind
    public var dit: DiTConfiguration
    public var unet: UNetConfiguration
    public var diffusion: DiffusionConfiguration

    public init(
        autoencoder: AutoencoderConfig = AutoencoderConfig(), denoiser: LatentDenoiserKind = .dit,
        dit: DiTConfiguration? = nil, unet: UNetConfiguration? = nil, diffusion: DiffusionConfiguration = DiffusionConfiguration()
    ) {
        self.autoencoder = autoencoder
        self.denoiser = denoiser
        let shape = autoencoder.latentShape
        self.dit = dit ?? DiTConfiguration(inputSize: shape[1], patchSize: 1, inChannels: shape[0], hiddenSize: 256, depth: 6, heads: 4)
        self.unet =
            unet
            ?? UNetConfiguration(
                inChannels: shape[0], channels: 64, channelMultipliers: [1], resBlocks: 2,
                attentionResolutions: [shape[1]], dropout: 0.1, resolution: shape[1], numClasses: 10)
        self.diffusion = diffusion
    }

    enum CodingKeys: String, CodingKey {
        case autoencoder
        case autoencoderCheckpoint = "autoencoder_checkpoint"
        case autoencoderFingerprint = "autoencoder_fnv1a64"
        case denoiser, dit, unet, diffusion
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let autoencoder = try c.decodeIfPresent(AutoencoderConfig.self, forKey: .autoencoder) ?? AutoencoderConfig()
        let defaults = LatentDiffusionConfiguration(autoencoder: autoencoder)
        self = defaults
        autoencoderCheckpoint = try c.decodeIfPresent(String.self, forKey: .autoencoderCheckpoint)
        autoencoderFingerprint = try c.decodeIfPresent(String.self, forKey: .autoencoderFingerprint)
        denoiser = try c.decodeIfPresent(LatentDenoiserKind.self, forKey: .denoiser) ?? .dit
        if c.contains(.dit) {
            // Sizes the JSON leaves out come from the latents (a preset keeps its own depth and width).
            var object = try c.decode(JSONObject.self, forKey: .dit).object
            if object["input_size"] == nil { object["input_size"] = defaults.dit.inputSize }
            if object["in_channels"] == nil { object["in_channels"] = defaults.dit.inChannels }
            if object["preset"] == nil {
                for (k, v) in try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults.dit)) as? [String: Any] ?? [:]
                where object[k] == nil { object[k] = v }
            }
            dit = try JSONDecoder().decode(DiTConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        }
        if c.contains(.unet) {
            var object = try c.decode(JSONObject.self, forKey: .unet).object
            for (k, v) in try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults.unet)) as? [String: Any] ?? [:]
            where object[k] == nil { object[k] = v }
            unet = try JSONDecoder().decode(UNetConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        }
        diffusion = try c.decodeIfPresent(DiffusionConfiguration.self, forKey: .diffusion) ?? DiffusionConfiguration()
    }

    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(json.utf8))
        } catch let error as DiffusionError {
            throw error
        } catch let error as ComputeError {
            throw error
        } catch {
            throw DiffusionError.invalidConfiguration("cannot read LDM config JSON (\(error)): \(json)")
        }
        try autoencoder.validate()
        try validate()
    }

    /// [C, H, W] the chosen denoiser takes.
    public var denoiserInputShape: [Int] {
        switch denoiser {
        case .dit: [dit.inChannels, dit.inputSize, dit.inputSize]
        case .unet: [unet.inChannels, unet.resolution, unet.resolution]
        }
    }

    /// Throws when the denoiser does not take the autoencoder's latents.
    public func validate() throws {
        let latent = autoencoder.latentShape, input = denoiserInputShape
        guard latent == input else {
            throw DiffusionError.invalidConfiguration(
                "the \(denoiser.rawValue) takes \(Self.describe(input)) inputs but the autoencoder's latents are \(Self.describe(latent))")
        }
        if denoiser == .dit { try dit.validate() }
    }

    static func describe(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "×") }

    public var numClasses: Int? { denoiser == .dit ? dit.numClasses : unet.numClasses }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
