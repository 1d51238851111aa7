/// The fused kernels: each computes what a short chain of primitive kernels computes, in fewer
/// passes over memory. Every one has a composed default (Composed/*.swift) built only from
/// `PrimitiveKernels`, so a new backend runs every model once it has the primitives, and adds fused
/// kernels where they pay. `supports(_:)` says which ones a backend runs natively.
///
/// The parity suite runs every fused kernel natively and through its composed default on every
/// backend (`KernelVariant.composed`, by way of `PrimitivesOnlyDevice`), and checks both against
/// Float64 references. Conventions as in `PrimitiveKernels`.
public protocol FusedKernels: AnyObject, Sendable {
    /// Whether this backend runs `kernel` with its own implementation rather than a composed
    /// default. Primitive kernels are always supported.
    func supports(_ kernel: KernelName) -> Bool

    // MARK: elementwise (Kernels/elementwise.cl, CPU/Elementwise.swift)
    /// out[i] = min(max(x[i], lower), upper).
    func clamp(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, lower: Float, upper: Float) throws
    /// out[i] = alpha·x[i] + beta·y[i].
    func axpby(
        alpha: Float, _ x: any DeviceBuffer, beta: Float, _ y: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int) throws
    /// adaLN modulation (DiT): out[n, t, c] = x[n, t, c]·(1 + scale[n, c]) + shift[n, c], with x
    /// [batch, tokens, channels] and shift, scale [batch, channels].
    func modulate(
        _ x: any DeviceBuffer, shift: any DeviceBuffer, scale: any DeviceBuffer, _ out: any DeviceBuffer,
        batch: Int, tokens: Int, channels: Int) throws

    // MARK: backward (Kernels/backward.cl, CPU/Backward.swift)
    /// Backward of softmax rows given its output y: gradIn = y·(g − Σ g·y); for log-softmax
    /// (log = true, y = log-softmax output): gradIn = g − exp(y)·Σ g.
    func softmaxBackward(
        _ y: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        rows: Int, columns: Int, log: Bool) throws
    /// out[i] = x[i]·scale when uniform(seed, offset + i) ≥ p, else 0 (uniform as in randomUniform),
    /// with scale = Float(1/(1 − p)) computed once on the host so both backends agree bit for bit.
    /// Applying it to the output gradient with the same seed and offset is the backward pass.
    func dropout(
        _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, probability: Float,
        seed: UInt64, offset: UInt64) throws
    /// Binary cross-entropy with logits, per element and numerically stable:
    /// out[i] = max(x, 0) − x·t + log(1 + exp(−|x|)), targets t in [0, 1].
    func bceWithLogits(_ logits: any DeviceBuffer, targets: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws

    // MARK: convolution (Kernels/conv.cl, CPU/Conv.swift, CPU/ConvFused.swift)
    /// Convolution without bias: output[n, o, p] = Σ_r weight[o, r] · im2col(input)[n, r, p], with
    /// weight [outChannels, columnRows] and output [batch, outChannels, outH·outW].
    func conv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry: ConvGeometry, outChannels: Int) throws
    /// The gradient of `conv2d` with respect to its input: gradInput[n] = col2im(weightᵀ · gradOutput[n]).
    /// Overwrites gradInput.
    func conv2dBackwardInput(
        _ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
        geometry: ConvGeometry, outChannels: Int) throws
    /// The gradient of `conv2d` with respect to its weight: gradWeight = Σ_n gradOutput[n] · im2col(input)[n]ᵀ.
    /// Overwrites gradWeight.
    func conv2dBackwardWeight(
        _ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
        geometry: ConvGeometry, outChannels: Int) throws

    // MARK: products with an epilogue (Kernels/gemm.cl, CPU/GEMMEpilogue.swift)
    /// `gemm`, then per element (z, i, j) of C: residual + (value + bias) as `GemmEpilogue` says.
    /// The batch matrices of C must not overlap.
    func gemmEpilogue(
        _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape,
        epilogue: GemmEpilogue) throws
    /// `conv2d`, then the epilogue over the output viewed as [batch, outChannels, outH·outW]
    /// (a bias is (0, 1, 0); a per-image, per-channel addend (outChannels, 1, 0); a residual
    /// (outChannels·outH·outW, outH·outW, 1)).
    func conv2dEpilogue(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue) throws

    // MARK: norm (Kernels/norm.cl, CPU/Norm.swift). LayerNorm over D is groupNorm(batch: rows, channels: D, spatial: 1, groups: 1).
    /// x viewed as [batch, channels, spatial]; for each (n, g) over channels/groups × spatial elements:
    /// out = (x − mean)·rstd·gamma[c] + beta[c], rstd = 1/sqrt(var + epsilon) (population variance).
    /// Writes mean and rstd ([batch·groups]) for the backward pass.
    func groupNorm(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape) throws
    /// silu(groupNorm(x)): the normalisation followed by SiLU, v/(1 + e^(−v)), in one pass over memory
    /// (the U-Net's GroupNorm → SiLU pairs). Writes mean and rstd as groupNorm does.
    func groupNormSiLU(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape) throws
    /// Gradients of groupNorm with respect to x, gamma and beta ([channels]), from the saved mean and rstd.
    func groupNormBackward(
        _ gradOut: any DeviceBuffer, x: any DeviceBuffer, gamma: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, gradX: any DeviceBuffer,
        gradGamma: any DeviceBuffer, gradBeta: any DeviceBuffer, shape: GroupNormShape) throws

    // MARK: attention (Kernels/attention.cl, CPU/Attention.swift)
    /// out[b, i, :] = Σ_j softmax_j(scale·q[b, i]·k[b, j] + mask[i, j]) · v[b, j, :], q [B, Lq, D],
    /// k and v [B, Lk, D], B = batch·heads; mask (optional, additive) [Lq, Lk]. Also writes
    /// logsumexp[b, i] of the scaled, masked scores for the backward pass. Fused with an online
    /// softmax: no Lq×Lk matrix is written to global memory.
    func attention(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        _ out: any DeviceBuffer, logsumexp: any DeviceBuffer, shape: AttentionShape) throws
    /// Gradients of attention with respect to q, k and v from the saved out and logsumexp.
    func attentionBackward(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        out: any DeviceBuffer, logsumexp: any DeviceBuffer, gradOut: any DeviceBuffer,
        gradQ: any DeviceBuffer, gradK: any DeviceBuffer, gradV: any DeviceBuffer,
        shape: AttentionShape) throws

    // MARK: codebook (Kernels/codebook.cl, CPU/Codebook.swift)
    /// For each of `count` vectors x[i] of `dimension` floats, the index of the nearest of the `codes`
    /// codebook rows by squared Euclidean distance (lowest index on ties) and that distance; fused,
    /// no count×codes matrix in global memory.
    func nearestCode(
        _ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
        distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int) throws

    // MARK: mixture (Kernels/mixture.cl, CPU/Mixture.swift)
    /// Diagonal-Gaussian log-densities of `count` rows x [count × dimension] under `components`
    /// Gaussians: out[n, k] = offsets[k] − ½·Σ_d precisions[k, d]·(x[n, d] − means[k, d])²
    /// (out [count × components]; means and precisions [components × dimension]; offsets [components]
    /// carry log π_k + log det U_k − D/2·log 2π). Explicit differences, so no Float32 cancellation.
    func gaussianLogDensity(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int, components: Int, dimension: Int) throws
    /// The diagonal E-step in one pass: with l[n, k] the `gaussianLogDensity` terms,
    /// logLikelihood[n] = log Σ_k exp l[n, k] and out[n, k] = exp(l[n, k] − logLikelihood[n]) (the
    /// responsibilities, out [count × components], logLikelihood [count]); no l matrix is read back.
    func gaussianResponsibilities(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, logLikelihood: any DeviceBuffer, count: Int, components: Int, dimension: Int) throws
    /// Responsibility-weighted diagonal scatter: out[k, d] = Σ_n weights[n, k]·(x[n, d] − means[k, d])²
    /// (weights [count × components], out [components × dimension]), from explicit differences.
    func gaussianScatter(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, means: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int) throws
    /// Responsibility-weighted first and zeroth moments in one pass: out[k, d] = Σ_n weights[n, k]·x[n, d]
    /// for d < dimension and out[k, dimension] = Σ_n weights[n, k] (out [components × (dimension + 1)]):
    /// the M-step's rᵀx and n_k, which as a GEMM (K × N by N × D, long and thin) runs on few threads.
    func gaussianMoments(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int) throws

    // MARK: optim (Kernels/optim.cl, CPU/Optim.swift): in place
    /// One Adam/AdamW step over `count` parameters (PyTorch semantics, bias-corrected with `step`).
    func adamStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters) throws
    /// `adamStep` decided on the device, so a training step need not read anything back: where
    /// apply[0] == 0 nothing changes; otherwise the gradient is multiplied by scale[0] (a clip
    /// factor) and the step is bias-corrected with step[0] (a whole number ≥ 1, Adam's t) instead of
    /// `hyper.step`. `apply`, `scale` and `step` are one-element device buffers.
    func adamStepGated(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer,
        count: Int, hyper: AdamHyperparameters, apply: any DeviceBuffer, scale: any DeviceBuffer,
        step: any DeviceBuffer) throws
    /// Per tensor k of `tensors` (`counts[k]` floats each): out[2k] = Σ x and out[2k + 1] = Σ x², for
    /// many tensors in a few launches (gradient norms and finiteness checks of a training step).
    func tensorSums(_ tensors: [any DeviceBuffer], counts: [Int], _ out: any DeviceBuffer) throws
    /// One SGD step with momentum (PyTorch semantics): g += wd·p; buf = firstStep ? g : μ·buf + g;
    /// p −= lr·(nesterov ? g + μ·buf : buf). With momentum 0 the buffer is untouched.
    func sgdStep(
        _ parameter: any DeviceBuffer, gradient: any DeviceBuffer, momentumBuffer: any DeviceBuffer,
        count: Int, hyper: SGDHyperparameters) throws
}
