/// The primitive kernels: what every backend implements before its first run. Everything else
/// (the fused kernels, `FusedKernels`) has a composed default built from these.
///
/// Conventions shared by all kernels:
/// - Buffers hold contiguous, row-major Float32 unless a parameter says Int32.
/// - Counts are element counts. Kernels never allocate; the caller passes `out`.
/// - Work may run asynchronously (OpenCL queues it in order); `read` and `synchronize` wait.
/// - Shapes are validated by `Tensor` before a kernel is called; kernels trust their arguments.
/// - Every backward kernel overwrites its gradient outputs (callers accumulate with `add`).
///
/// Each requirement is one or more `KernelName`s, registered with parity cases in `KernelRegistry`.
public protocol PrimitiveKernels: AnyObject, Sendable {
    // MARK: fill and copy (Kernels/copy.cl, CPU/Copy.swift)
    /// out[i] = value for i < count.
    func fill(_ out: any DeviceBuffer, count: Int, value: Float) throws
    /// out[i] = x[i] for i < count (4-byte elements of any dtype).
    func copy(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws
    /// For every index tuple of `layout.shape`: out[outOffset + Σ i_d·outStrides_d] = x[xOffset + Σ i_d·xStrides_d].
    /// Covers permute, slice, concat (copy into an offset window) and broadcast-expand. 4-byte elements.
    func copyStrided(_ x: any DeviceBuffer, _ out: any DeviceBuffer, layout: StridedCopyLayout) throws
    /// out[i, :] = table[indices[i], :] for i < indexCount, rows of `rowLength`; indices are Int32.
    /// An index outside 0..<tableRows yields a row of zeros (Tensor checks host-side indices).
    func gather(
        _ table: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, tableRows: Int) throws
    /// out[indices[i], :] += source[i, :] for i < indexCount; out has `outRows` rows of `rowLength`.
    /// Out-of-range indices are skipped. Summation order may differ between backends.
    func scatterAdd(
        _ source: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, outRows: Int) throws

    // MARK: elementwise (Kernels/elementwise.cl, CPU/Elementwise.swift)
    /// out[i] = op(x[i]).
    func unary(_ op: UnaryOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws
    /// out[i] = op(a[·], b[·]) with NumPy broadcasting described by `layout` (operand 0 = a, 1 = b).
    /// Comparison ops write 1 or 0.
    func binary(
        _ op: BinaryOp, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer,
        layout: BroadcastLayout) throws
    /// out[i] = condition[·] != 0 ? a[·] : b[·], broadcasting (operands 0 = condition, 1 = a, 2 = b).
    func select(
        _ condition: any DeviceBuffer, _ a: any DeviceBuffer, _ b: any DeviceBuffer,
        _ out: any DeviceBuffer, layout: BroadcastLayout) throws
    /// out[i] = scale·x[i] + shift.
    func affine(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, scale: Float, shift: Float) throws

    // MARK: reductions (Kernels/reduce.cl, CPU/Reduce.swift)
    /// x viewed as [outer, length, inner]; out[o, i] = op over j of x[o, j, i]. out has outer·inner
    /// elements: Float32, or Int32 for argmax/argmin (first index of the extreme value).
    /// mean divides by length; variance is the population variance (divides by length).
    func reduce(
        _ op: ReduceOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer,
        outer: Int, length: Int, inner: Int) throws
    /// Row-wise softmax (or log-softmax when `log`) over the last axis of x viewed as [rows, columns].
    func softmax(_ x: any DeviceBuffer, _ out: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws

    // MARK: matrix multiply (Kernels/gemm.cl, CPU/GEMM.swift)
    /// For each batch b: C_b = alpha·op(A_b)·op(B_b) + beta·C_b, row-major, op = transpose when asked.
    /// A_b starts at b·shape.strideA (0 broadcasts one matrix), likewise B and C. beta = 0 ignores C's contents.
    func gemm(_ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape) throws

    // MARK: noise (Kernels/random.cl, CPU/Random.swift, Random/Philox.swift)
    /// out[i] = uniform in [0, 1) from Philox4x32-10 for element number offset + i under key `seed`;
    /// bit-identical on every backend.
    func randomUniform(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64) throws
    /// out[i] = mean + std·z with z standard normal (Box-Muller on the same Philox words, with
    /// polynomial log/sin/cos); bit-identical on every backend.
    func randomNormal(
        _ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64,
        mean: Float, std: Float) throws

    // MARK: convolution columns (Kernels/conv.cl, CPU/Conv.swift)
    /// cols[n, (c·kh + i)·kw + j, oy·outW + ox] = input[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw],
    /// 0 where that position is padding. input [batch, channels, height, width],
    /// cols [batch, channels·kh·kw, outH·outW].
    func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry: ConvGeometry) throws
    /// The adjoint of im2col: input[n, c, y, x] = Σ of every cols entry that im2col reads from (y, x).
    /// Overwrites `input` (deterministic gather form, no atomics).
    func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry: ConvGeometry) throws

    // MARK: backward and indices (Kernels/backward.cl, CPU/Backward.swift)
    /// gradIn[i] = gradOut[i] · op′(x[i]).
    func unaryBackward(
        _ op: UnaryOp, _ x: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        count: Int) throws
    /// out[i·classes + c] = indices[i] == c ? 1 : 0 (Int32 indices; out of range gives a zero row).
    func oneHot(_ indices: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, classes: Int) throws
}
