import Foundation
import LatentCompute

/// The configuration of an `AutoencoderKL`, with python/latent_torch/autoencoder.py's argument names as
/// JSON keys. `{"preset": "small"}` starts from a named size ("tiny", "small", "base"); other keys
/// override it. Missing keys take the "small" defaults: ch 32, ch_mult [1, 2, 2] (downsampling 4:
/// 28×28×1 → 7×7×4), one ResBlock per level, 32 GroupNorm groups, KL weight 1e-6.
public struct AutoencoderConfig: Codable, Sendable, Equatable {
    public var inChannels = 1
    public var channels = 32
    public var channelMultipliers = [1, 2, 2]
    public var resBlocks = 1
    public var latentChannels = 4
    public var normGroups = 32
    public var dropout: Float = 0
    /// Weight of the per-image KL term against the per-image summed squared error.
    public var klWeight: Double = 1e-6
    /// Side length of the (square) images.
    public var resolution = 28

    public static let presets: [String: AutoencoderConfig] = [
        "tiny": AutoencoderConfig(channels: 8, channelMultipliers: [1, 2, 2], resBlocks: 1, normGroups: 4),
        "small": AutoencoderConfig(),
        "base": AutoencoderConfig(channels: 64, channelMultipliers: [1, 2, 2], resBlocks: 2, normGroups: 32),
    ]

    public init(
        inChannels: Int = 1, channels: Int = 32, channelMultipliers: [Int] = [1, 2, 2], resBlocks: Int = 1,
        latentChannels: Int = 4, normGroups: Int = 32, dropout: Float = 0, klWeight: Double = 1e-6, resolution: Int = 28
    ) {
        self.inChannels = inChannels
        self.channels = channels
        self.channelMultipliers = channelMultipliers
        self.resBlocks = resBlocks
        self.latentChannels = latentChannels
        self.normGroups = normGroups
        self.dropout = dropout
        self.klWeight = klWeight
        self.resolution = resolution
    }

    /// Decodes JSON (defaults for missing keys) and validates it.
    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(AutoencoderConfig.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ComputeError.invalidArgument("autoencoder config \(json): \(error)")
        }
        try validate()
    }

    enum CodingKeys: String, CodingKey {
        case preset
        case inChannels = "in_ch"
        case channels = "ch"
        case channelMultipliers = "ch_mult"
        case resBlocks = "num_res_blocks"
        case latentChannels = "z_channels"
        case normGroups = "norm_groups"
        case dropout
        case klWeight = "kl_weight"
        case resolution
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = AutoencoderConfig()
        if let name = try c.decodeIfPresent(String.self, forKey: .preset) {
            guard let preset = Self.presets[name] else {
                throw ComputeError.invalidArgument("unknown autoencoder preset '\(name)'; use \(Self.presets.keys.sorted().joined(separator: ", "))")
            }
            d = preset
        }
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? d.channels
        channelMultipliers = try c.decodeIfPresent([Int].self, forKey: .channelMultipliers) ?? d.channelMultipliers
        resBlocks = try c.decodeIfPresent(Int.self, forKey: .resBlocks) ?? d.resBlocks
        latentChannels = try c.decodeIfPresent(Int.self, forKey: .latentChannels) ?? d.latentChannels
        normGroups = try c.decodeIfPresent(Int.self, forKey: .normGroups) ?? d.normGroups
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? d.dropout
        klWeight = try c.decodeIfPresent(Double.self, forKey: .klWeight) ?? d.klWeight
        resolution = try c.decodeIfPresent(Int.self, forKey: .resolution) ?? d.resolution
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inChannels, forKey: .inChannels)
        try c.encode(channels, forKey: .channels)
        try c.encode(channelMultipliers, forKey: .channelMultipliers)
        try c.encode(resBlocks, forKey: .resBlocks)
        try c.encode(latentChannels, forKey: .latentChannels)
        try c.encode(normGroups, forKey: .normGroups)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(klWeight, forKey: .klWeight)
        try c.encode(resolution, forKey: .resolution)
    }

    /// Spatial downsampling factor 2^(levels − 1).
    public var downsamplingFactor: Int { 1 << (channelMultipliers.count - 1) }
    /// [z, H/f, W/f]: the shape of one latent.
    public var latentShape: [Int] { [latentChannels, resolution / downsamplingFactor, resolution / downsamplingFactor] }

    public func validate() throws {
        guard inChannels >= 1, channels >= 1, !channelMultipliers.isEmpty, channelMultipliers.allSatisfy({ $0 >= 1 }),
            resBlocks >= 1, latentChannels >= 1, normGroups >= 1, dropout >= 0, dropout < 1, klWeight >= 0, resolution >= 1
        else {
            throw ComputeError.invalidArgument("autoencoder config out of range: \(json)")
        }
        for m in channelMultipliers where (channels * m) % normGroups != 0 {
            throw ComputeError.invalidArgument("autoencoder: \(channels * m) channels are not divisible by \(normGroups) GroupNorm groups")
        }
        guard resolution % downsamplingFactor == 0 else {
            throw ComputeError.invalidArgument(
                "autoencoder: resolution \(resolution) is not divisible by the downsampling factor \(downsamplingFactor)")
        }
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
