/// The U-Net's hyperparameters, with the reference's argument names as JSON keys
/// (`UNet(in_ch, ch, ch_mult, num_res_blocks, attn_resolutions, dropout, resolution, num_classes)`).
/// The defaults are "fmnist-small" (6,469,889 parameters unconditional).
public struct UNetConfiguration: Codable, Sendable, Equatable {
    public var inChannels = 1
    public var channels = 64
    public var channelMultipliers = [1, 2, 2]
    public var resBlocks = 2
    /// Feature-map sizes (side length) at which ResBlocks are followed by attention (the middle block always has it).
    public var attentionResolutions = [7]
    public var dropout: Float = 0.1
    /// The input side length (28 for Fashion-MNIST); with `attentionResolutions` it decides where attention goes.
    public var resolution = 28
    /// With a class count, an `Embedding(numClasses + 1, 4C)` is added; index `numClasses` is the null class.
    public var numClasses: Int?
    /// GroupNorm groups (32 in the reference, which needs channel counts divisible by 32).
    public var normGroups = 32

    public init(
        inChannels: Int = 1, channels: Int = 64, channelMultipliers: [Int] = [1, 2, 2], resBlocks: Int = 2,
        attentionResolutions: [Int] = [7], dropout: Float = 0.1, resolution: Int = 28, numClasses: Int? = nil,
        normGroups: Int = 32
    ) {
        self.inChannels = inChannels
        self.channels = channels
        self.channelMultipliers = channelMultipliers
        self.resBlocks = resBlocks
        self.attentionResolutions = attentionResolutions
        self.dropout = dropout
        self.resolution = resolution
        self.numClasses = numClasses
        self.normGroups = normGroups
    }

    /// "fmnist-small", optionally class-conditional.
    public static func fmnistSmall(numClasses: Int? = nil) -> UNetConfiguration {
        UNetConfiguration(numClasses: numClasses)
    }

    /// The time-embedding width, 4C.
    public var timeChannels: Int { 4 * channels }

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_ch"
        case channels = "ch"
        case channelMultipliers = "ch_mult"
        case resBlocks = "num_res_blocks"
        case attentionResolutions = "attn_resolutions"
        case dropout, resolution
        case numClasses = "num_classes"
        case normGroups = "norm_groups"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = UNetConfiguration()
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? d.channels
        channelMultipliers = try c.decodeIfPresent([Int].self, forKey: .channelMultipliers) ?? d.channelMultipliers
        resBlocks = try c.decodeIfPresent(Int.self, forKey: .resBlocks) ?? d.resBlocks
        attentionResolutions = try c.decodeIfPresent([Int].self, forKey: .attentionResolutions) ?? d.attentionResolutions
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? d.dropout
        resolution = try c.decodeIfPresent(Int.self, forKey: .resolution) ?? d.resolution
        numClasses = try c.decodeIfPresent(Int.self, forKey: .numClasses)
        normGroups = try c.decodeIfPresent(Int.self, forKey: .normGroups) ?? d.normGroups
    }

    func validate() throws {
        // Upper bounds keep every size computation far from Int overflow (and 1 << levels defined);
        // ParameterInitializer's budget then refuses models too large to allocate.
        let width = ModelLimits.maximumWidth
        guard (1...width).contains(inChannels), (2...width).contains(channels), (1...8).contains(channelMultipliers.count),
            channelMultipliers.allSatisfy({ (1...64).contains($0) }), (1...64).contains(resBlocks),
            (1...width).contains(resolution), (1...width).contains(normGroups), dropout >= 0, dropout < 1
        else {
            throw DiffusionError.invalidConfiguration("U-Net \(self)")
        }
        if let n = numClasses, !(1...width).contains(n) {
            throw DiffusionError.invalidConfiguration("num_classes must be 1...\(width), not \(n)")
        }
        let factor = 1 << (channelMultipliers.count - 1)
        guard resolution % factor == 0 else {
            throw DiffusionError.invalidConfiguration("resolution \(resolution) is not divisible by \(factor) (\(channelMultipliers.count) levels)")
        }
    }
}
