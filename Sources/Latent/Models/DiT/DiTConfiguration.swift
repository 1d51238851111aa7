import Foundation

/// The DiT's hyperparameters, with the official code's argument names as JSON keys
/// (`DiT(input_size, patch_size, in_channels, hidden_size, depth, num_heads, mlp_ratio, num_classes,
/// learn_sigma)`). `{"preset": "DiT-S/2"}` takes depth, width, heads and patch size from a named
/// configuration; other keys override it. Missing keys take the defaults (DiT-S/1 over 4×7×7 latents,
/// 10 classes).
public struct DiTConfiguration: Codable, Sendable, Equatable {
    /// Side length of the (square) input: 7 for the autoencoder's latents, 28 for Fashion-MNIST pixels.
    public var inputSize = 7
    public var patchSize = 1
    public var inChannels = 4
    public var hiddenSize = 384
    public var depth = 12
    public var heads = 6
    public var mlpRatio: Double = 4
    /// With a class count the label table has numClasses + 1 rows; row numClasses is the null class.
    public var numClasses: Int? = 10
    /// Twice the input channels out: ε and the variance interpolation v (improved DDPM's learned range).
    public var learnSigma = false

    /// Named sizes: (depth, hidden size, heads). "DiT-S" and "DiT-B" are the paper's; the smaller two fit a CPU.
    public static let presets: [String: (depth: Int, hidden: Int, heads: Int)] = [
        "DiT-tiny": (4, 128, 4), "DiT-mini": (6, 256, 4), "DiT-S": (12, 384, 6), "DiT-B": (12, 768, 12),
    ]

    public init(
        inputSize: Int = 7, patchSize: Int = 1, inChannels: Int = 4, hiddenSize: Int = 384, depth: Int = 12,
        heads: Int = 6, mlpRatio: Double = 4, numClasses: Int? = 10, learnSigma: Bool = false
    ) {
        self.inputSize = inputSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.hiddenSize = hiddenSize
        self.depth = depth
        self.heads = heads
        self.mlpRatio = mlpRatio
        self.numClasses = numClasses
        self.learnSigma = learnSigma
    }

    /// A named configuration such as "DiT-S/2" (size / patch size) over the given input.
    public init(preset: String, inputSize: Int = 7, inChannels: Int = 4, numClasses: Int? = 10) throws {
        let parts = preset.split(separator: "/")
        guard parts.count == 2, let size = Self.presets[String(parts[0])], let patch = Int(parts[1]) else {
            throw DiffusionError.invalidConfiguration(
                "unknown DiT preset '\(preset)'; use one of \(Self.presets.keys.sorted().joined(separator: ", ")) with /1, /2 or /4")
        }
        self.init(
            inputSize: inputSize, patchSize: patch, inChannels: inChannels, hiddenSize: size.hidden, depth: size.depth,
            heads: size.heads, numClasses: numClasses)
    }

    public var outChannels: Int { learnSigma ? 2 * inChannels : inChannels }
    public var gridSize: Int { inputSize / patchSize }
    public var tokens: Int { gridSize * gridSize }
    public var mlpHidden: Int { Int(Double(hiddenSize) * mlpRatio) }
    /// The null-class index for classifier-free guidance (nil: unconditional).
    public var nullClass: Int? { numClasses }

    enum CodingKeys: String, CodingKey {
        case preset
        case inputSize = "input_size"
        case patchSize = "patch_size"
        case inChannels = "in_channels"
        case hiddenSize = "hidden_size"
        case depth
        case heads = "num_heads"
        case mlpRatio = "mlp_ratio"
        case numClasses = "num_classes"
        case learnSigma = "learn_sigma"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = DiTConfiguration()
        if let preset = try c.decodeIfPresent(String.self, forKey: .preset) {
            d = try DiTConfiguration(preset: preset)
        }
        inputSize = try c.decodeIfPresent(Int.self, forKey: .inputSize) ?? d.inputSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        depth = try c.decodeIfPresent(Int.self, forKey: .depth) ?? d.depth
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? d.heads
        mlpRatio = try c.decodeIfPresent(Double.self, forKey: .mlpRatio) ?? d.mlpRatio
        // An explicit null means unconditional, a missing key the default (10 classes).
        numClasses = c.contains(.numClasses) ? try c.decodeIfPresent(Int.self, forKey: .numClasses) : d.numClasses
        learnSigma = try c.decodeIfPresent(Bool.self, forKey: .learnSigma) ?? d.learnSigma
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputSize, forKey: .inputSize)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(inChannels, forKey: .inChannels)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(depth, forKey: .depth)
        try c.encode(heads, forKey: .heads)
        try c.encode(mlpRatio, forKey: .mlpRatio)
        try c.encode(numClasses, forKey: .numClasses)
        try c.encode(learnSigma, forKey: .learnSigma)
    }

    /// Throws a one-line message for sizes that do not fit together.
    public func validate() throws {
        guard inputSize >= 1, inChannels >= 1, depth >= 0, heads >= 1, hiddenSize >= 2, mlpRatio > 0 else {
            throw DiffusionError.invalidConfiguration("DiT sizes must be positive: \(self)")
        }
        guard patchSize >= 1 else {
            throw DiffusionError.invalidConfiguration("DiT patch size must be positive, not \(patchSize)")
        }
        guard inputSize % patchSize == 0 else {
            throw DiffusionError.invalidConfiguration("DiT patch size \(patchSize) does not divide the input size \(inputSize)")
        }
        guard hiddenSize % heads == 0 else {
            throw DiffusionError.invalidConfiguration("DiT hidden size \(hiddenSize) is not divisible by \(heads) heads")
        }
        guard hiddenSize % 4 == 0 else {
            throw DiffusionError.invalidConfiguration("DiT hidden size \(hiddenSize) must be a multiple of 4 (2-D sin-cos positions)")
        }
        if let n = numClasses, n < 1 { throw DiffusionError.invalidConfiguration("num_classes must be positive, not \(n)") }
    }
}
