/// The kernels that training adds to the kernel set (autograd, layers, optimizers). Same
/// conventions as `Device`: contiguous row-major buffers, the caller allocates `out`, asynchronous.
/// Every backward kernel overwrites its gradient outputs (callers accumulate with `add`).
public protocol TrainingKernels {
    // MARK: conv (Kernels/conv.cl, CPU/Conv.swift): convolution = im2col + gemm
    /// cols[n, (c·kh + i)·kw + j, oy·outW + ox] = input[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw],
    /// 0 where that position is padding. input [batch, channels, height, width],
    /// cols [batch, channels·kh·kw, outH·outW].
    func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry: ConvGeometry) throws
    /// The adjoint of im2col: input[n, c, y, x] = Σ of every cols entry that im2col reads from (y, x).
    /// Overwrites `input` (deterministic gather form, no atomics).
    func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry: ConvGeometry) throws
    /// Convolution without bias: output[n, o, p] = Σ_r weight[o, r] · im2col(input)[n, r, p], with
    /// weight [outChannels, columnRows] and output [batch, outChannels, outH·outW].
    /// Default: im2col + batched GEMM (ConvComposite.swift); the CPU backend fuses them per image.
    func conv2d(_ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
                geometry: ConvGeometry, outChannels: Int) throws
    /// The gradient of `conv2d` with respect to its input: gradInput[n] = col2im(weightᵀ · gradOutput[n]).
    /// Overwrites gradInput.
    func conv2dBackwardInput(_ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
                             geometry: ConvGeometry, outChannels: Int) throws
    /// The gradient of `conv2d` with respect to its weight: gradWeight = Σ_n gradOutput[n] · im2col(input)[n]ᵀ.
    /// Overwrites gradWeight.
    func conv2dBackwardWeight(_ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
                              geometry: ConvGeometry, outChannels: Int) throws

    // MARK: norm (Kernels/norm.cl, CPU/Norm.swift). LayerNorm over D is groupNorm(batch: rows, channels: D, spatial: 1, groups: 1).
    /// x viewed as [batch, channels, spatial]; for each (n, g) over channels/groups × spatial elements:
    /// out = (x − mean)·rstd·gamma[c] + beta[c], rstd = 1/sqrt(var + epsilon) (population variance).
    /// Writes mean and rstd ([batch·groups]) for the backward pass.
    func groupNorm(_ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
                   mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape) throws
    /// Gradients of groupNorm with respect to x, gamma and beta ([channels]), from the saved mean and rstd.
    func groupNormBackward(_ gradOut: any DeviceBuffer, x: any DeviceBuffer, gamma: any DeviceBuffer,
                           mean: any DeviceBuffer, rstd: any DeviceBuffer, gradX: any DeviceBuffer,
                           gradGamma: any DeviceBuffer, gradBeta: any DeviceBuffer, shape: GroupNormShape) throws

    // MARK: elementwise backward (Kernels/elementwise.cl backward kernels live in Kernels/backward.cl, CPU/Backward.swift)
    /// gradIn[i] = gradOut[i] · op′(x[i]).
    func unaryBackward(_ op: UnaryOp, _ x: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
                       count: Int) throws
    /// Backward of softmax rows given its output y: gradIn = y·(g − Σ g·y); for log-softmax
    /// (log = true, y = log-softmax output): gradIn = g − exp(y)·Σ g.
    func softmaxBackward(_ y: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
                         rows: Int, columns: Int, log: Bool) throws
    /// out[i] = x[i]·scale when uniform(seed, offset + i) ≥ p, else 0 (uniform as in randomUniform),
    /// with scale = Float(1/(1 − p)) computed once on the host so both backends agree bit for bit.
    /// Applying it to the output gradient with the same seed and offset is the backward pass.
    func dropout(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, probability: Float,
                 seed: UInt64, offset: UInt64) throws
    /// out[i·classes + c] = indices[i] == c ? 1 : 0 (Int32 indices; out of range gives a zero row).
    func oneHot(_ indices: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, classes: Int) throws
    /// Binary cross-entropy with logits, per element and numerically stable:
    /// out[i] = max(x, 0) − x·t + log(1 + exp(−|x|)), targets t in [0, 1].
    func bceWithLogits(_ logits: any DeviceBuffer, targets: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws

    // MARK: attention (Kernels/attention.cl, CPU/Attention.swift)
    /// out[b, i, :] = Σ_j softmax_j(scale·q[b, i]·k[b, j] + mask[i, j]) · v[b, j, :], q [B, Lq, D],
    /// k and v [B, Lk, D], B = batch·heads; mask (optional, additive) [Lq, Lk]. Also writes
    /// logsumexp[b, i] of the scaled, masked scores for the backward pass. Fused with an online
    /// softmax: no Lq×Lk matrix is written to global memory.
    func attention(q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
                   _ out: any DeviceBuffer, logsumexp: any DeviceBuffer, shape: AttentionShape) throws
    /// Gradients of attention with respect to q, k and v from the saved out and logsumexp.
    func attentionBackward(q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
                           out: any DeviceBuffer, logsumexp: any DeviceBuffer, gradOut: any DeviceBuffer,
                           gradQ: any DeviceBuffer, gradK: any DeviceBuffer, gradV: any DeviceBuffer,
                           shape: AttentionShape) throws

    // MARK: codebook (Kernels/codebook.cl, CPU/Codebook.swift)
    /// For each of `count` vectors x[i] of `dimension` floats, the index of the nearest of the `codes`
    /// codebook rows by squared Euclidean distance (lowest index on ties) and that distance; fused,
    /// no count×codes matrix in global memory.
    func nearestCode(_ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
                     distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int) throws

    // MARK: optim (Kernels/optim.cl, CPU/Optim.swift): fused, in place
    /// One Adam/AdamW step over `count` parameters (PyTorch semantics, bias-corrected with `step`).
    func adamStep(_ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
                  count: Int, hyper: AdamHyperparameters) throws
    /// One SGD step with momentum (PyTorch semantics): g += wd·p; buf = firstStep ? g : μ·buf + g;
    /// p −= lr·(nesterov ? g + μ·buf : buf). With momentum 0 the buffer is untouched.
    func sgdStep(_ parameter: any DeviceBuffer, gradient: any DeviceBuffer, momentumBuffer: any DeviceBuffer,
                 count: Int, hyper: SGDHyperparameters) throws
}

/// Geometry of a 2-D convolution's input window. Groups are handled by the caller (channel slices).
public struct ConvGeometry: Sendable, Equatable, CustomStringConvertible {
    public var batch: Int, channels: Int, height: Int, width: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideY: Int, strideX: Int
    public var padY: Int, padX: Int
    public var dilationY: Int, dilationX: Int

    public init(batch: Int, channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) {
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
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false, step: Int) {
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
