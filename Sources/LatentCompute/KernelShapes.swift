/// Geometry of a 2-D convolution's input window. Groups are handled by the caller (channel slices).
public struct ConvGeometry: Sendable, Equatable, CustomStringConvertible {
    public var batch: Int, channels: Int, height: Int, width: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideY: Int, strideX: Int
    public var padY: Int, padX: Int
    public var dilationY: Int, dilationX: Int

    public init(
        batch: Int, channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
        stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
    ) {
        self.batch = batch
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        (strideY, strideX) = stride
        (padY, padX) = padding
        (dilationY, dilationX) = dilation
    }

    public var outHeight: Int { (height + 2 * padY - dilationY * (kernelHeight - 1) - 1) / strideY + 1 }
    public var outWidth: Int { (width + 2 * padX - dilationX * (kernelWidth - 1) - 1) / strideX + 1 }
    /// Rows of one image's column matrix: channels·kh·kw.
    public var columnRows: Int { channels * kernelHeight * kernelWidth }
    public var description: String {
        "\(batch)x\(channels)x\(height)x\(width) k\(kernelHeight)x\(kernelWidth) s\(strideY),\(strideX) p\(padY),\(padX) d\(dilationY),\(dilationX)"
    }
}

public struct GroupNormShape: Sendable, Equatable {
    public var batch: Int, channels: Int, spatial: Int, groups: Int
    public var epsilon: Float
    public init(batch: Int, channels: Int, spatial: Int, groups: Int, epsilon: Float = 1e-5) {
        self.batch = batch
        self.channels = channels
        self.spatial = spatial
        self.groups = groups
        self.epsilon = epsilon
    }
}

public struct AttentionShape: Sendable, Equatable {
    /// Batch × heads.
    public var batch: Int
    public var queryLength: Int, keyLength: Int, headDimension: Int
    public var scale: Float
    public init(batch: Int, queryLength: Int, keyLength: Int, headDimension: Int, scale: Float? = nil) {
        self.batch = batch
        self.queryLength = queryLength
        self.keyLength = keyLength
        self.headDimension = headDimension
        self.scale = scale ?? 1 / Float(headDimension).squareRoot()
    }
}

public struct AdamHyperparameters: Sendable, Equatable {
    public var learningRate: Float
    public var beta1: Float, beta2: Float, epsilon: Float
    public var weightDecay: Float
    /// AdamW: decay the weights directly (p −= lr·wd·p) instead of adding wd·p to the gradient.
    public var decoupledWeightDecay: Bool
    /// 1 on the first step.
    public var step: Int
    public init(
        learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, decoupledWeightDecay: Bool = false, step: Int
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.step = step
    }
}

public struct SGDHyperparameters: Sendable, Equatable {
    public var learningRate: Float, momentum: Float, weightDecay: Float
    public var nesterov: Bool
    public var firstStep: Bool
    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false, firstStep: Bool) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.firstStep = firstStep
    }
}
