/// Every kernel of the kernel set by its stable name. `KernelRegistry` must hold exactly one
/// `KernelSpec` per name (a test fails otherwise), and every requirement of `PrimitiveKernels` and
/// `FusedKernels` must be the `requirement` of at least one name, so a kernel cannot be added
/// without parity cases and a benchmark slot.
public enum KernelName: Hashable, Sendable, CaseIterable {
    case fill, copy, copyStrided, gather, scatterAdd
    case unary(UnaryOp)
    case binary(BinaryOp)
    case select, clamp, affine, axpby, modulate
    case reduce(ReduceOp)
    case softmax, logSoftmax
    case sgemm, gemmEpilogue
    case randomUniform, randomNormal
    case im2col, col2im, conv2d, conv2dEpilogue, conv2dBackwardInput, conv2dBackwardWeight
    case groupNorm, layerNorm, groupNormSiLU, groupNormBackward, layerNormBackward
    case unaryBackward(UnaryOp)
    case softmaxBackward, logSoftmaxBackward, dropout, oneHot, bceWithLogits
    case attention, attentionBackward
    case nearestCode
    case gaussianLogDensity, gaussianResponsibilities, gaussianScatter, gaussianMoments
    case adam, adamw, adamGated, tensorSums, sgd, sgdNesterov

    public static var allCases: [KernelName] {
        [.fill, .copy, .copyStrided, .gather, .scatterAdd]
            + UnaryOp.allCases.map(KernelName.unary) + BinaryOp.allCases.map(KernelName.binary)
            + [.select, .clamp, .affine, .axpby, .modulate]
            + ReduceOp.allCases.map(KernelName.reduce) + [.softmax, .logSoftmax, .sgemm, .gemmEpilogue, .randomUniform, .randomNormal]
            + [.im2col, .col2im, .conv2d, .conv2dEpilogue, .conv2dBackwardInput, .conv2dBackwardWeight]
            + [.groupNorm, .layerNorm, .groupNormSiLU, .groupNormBackward, .layerNormBackward]
            + UnaryOp.allCases.map(KernelName.unaryBackward)
            + [.softmaxBackward, .logSoftmaxBackward, .dropout, .oneHot, .bceWithLogits]
            + [.attention, .attentionBackward, .nearestCode, .gaussianLogDensity, .gaussianScatter]
            + [.gaussianResponsibilities, .gaussianMoments]
            + [.adam, .adamw, .adamGated, .tensorSums, .sgd, .sgdNesterov]
    }

    /// The op name in `latent parity` and `latent bench` output ("sgemm", "randn", "exp", ...).
    public var name: String {
        switch self {
        case .unary(let op): op.name
        case .binary(let op): op.name
        case .reduce(let op): op.name
        case .unaryBackward(let op): "unary_backward_\(op.name)"
        case .select: "where"
        case .randomUniform: "rand"
        case .randomNormal: "randn"
        default: Self.snakeCase("\(self)")
        }
    }

    /// The `PrimitiveKernels` or `FusedKernels` requirement that runs this kernel.
    public var requirement: String {
        switch self {
        case .unary: "unary"
        case .binary: "binary"
        case .reduce: "reduce"
        case .unaryBackward: "unaryBackward"
        case .logSoftmax: "softmax"
        case .sgemm: "gemm"
        case .layerNorm: "groupNorm"
        case .layerNormBackward: "groupNormBackward"
        case .logSoftmaxBackward: "softmaxBackward"
        case .adam, .adamw: "adamStep"
        case .adamGated: "adamStepGated"
        case .sgd, .sgdNesterov: "sgdStep"
        default: "\(self)"
        }
    }

    /// Fused kernels have a composed default from the primitives (Composed/).
    public var isFused: Bool { Self.fusedRequirements.contains(requirement) }

    /// The kernel family: the `Kernels/<family>.cl` file, the `CPU/` and `OpenCL/` files that bind it.
    public var family: String {
        switch self {
        case .fill, .copy, .copyStrided, .gather, .scatterAdd: "copy"
        case .unary, .binary, .select, .clamp, .affine, .axpby, .modulate: "elementwise"
        case .reduce, .softmax, .logSoftmax: "reduce"
        case .sgemm, .gemmEpilogue: "gemm"
        case .randomUniform, .randomNormal: "random"
        case .im2col, .col2im, .conv2d, .conv2dEpilogue, .conv2dBackwardInput, .conv2dBackwardWeight: "conv"
        case .groupNorm, .layerNorm, .groupNormSiLU, .groupNormBackward, .layerNormBackward: "norm"
        case .unaryBackward, .softmaxBackward, .logSoftmaxBackward, .dropout, .oneHot, .bceWithLogits: "backward"
        case .attention, .attentionBackward: "attention"
        case .nearestCode: "codebook"
        case .gaussianLogDensity, .gaussianResponsibilities, .gaussianScatter, .gaussianMoments: "mixture"
        case .adam, .adamw, .adamGated, .tensorSums, .sgd, .sgdNesterov: "optim"
        }
    }

    static let fusedRequirements: Set<String> = [
        "clamp", "axpby", "modulate", "softmaxBackward", "dropout", "bceWithLogits", "gemmEpilogue", "conv2d", "conv2dEpilogue",
        "conv2dBackwardInput",
        "conv2dBackwardWeight", "groupNorm", "groupNormSiLU", "groupNormBackward", "attention", "attentionBackward",
        "nearestCode", "gaussianLogDensity", "gaussianResponsibilities", "gaussianScatter", "gaussianMoments", "adamStep", "adamStepGated",
        "tensorSums", "sgdStep",
    ]

    /// The name that parses back to this case, e.g. "conv2dBackwardInput" → "conv2d_backward_input".
    static func snakeCase(_ camel: String) -> String {
        var out = ""
        for character in camel {
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
        return out
    }
}
