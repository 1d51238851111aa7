/// Which implementation runs a device's kernels.
public enum Backend: String, Sendable, CaseIterable {
    case cpu
    case opencl
}

/// Memory owned by one device. Backends downcast to their own buffer class.
public protocol DeviceBuffer: AnyObject, Sendable {
    var byteCount: Int { get }
}

/// The kernel set: every backend implements each kernel with the same name, arguments and meaning.
///
/// Conventions shared by all kernels:
/// - Buffers hold contiguous, row-major Float32 unless a parameter says Int32.
/// - Counts are element counts. Kernels never allocate; the caller passes `out`.
/// - Work may run asynchronously (OpenCL queues it in order); `read` and `synchronize` wait.
/// - Shapes are validated by `Tensor` before a kernel is called; kernels trust their arguments.
public protocol Device: AnyObject, Sendable, TrainingKernels {
    var backend: Backend { get }
    /// Human-readable device name, e.g. "cpu (2 threads)" or "pthread-haswell-AMD EPYC".
    var name: String { get }

    // MARK: memory
    func makeBuffer(byteCount: Int) throws -> any DeviceBuffer
    func write(_ source: UnsafeRawBufferPointer, to buffer: any DeviceBuffer, byteOffset: Int) throws
    func read(_ buffer: any DeviceBuffer, byteOffset: Int, into destination: UnsafeMutableRawBufferPointer) throws
    /// Waits until all queued work has finished.
    func synchronize() throws
    /// Bytes held by this device's live buffers and their high-water mark (for `latent bench`).
    /// The CPU backend counts every CPU buffer of the process; OpenCL counts pool capacities.
    var memoryUsage: MemoryUsage { get }
    /// Starts a new high-water mark at the bytes live now.
    func resetPeakMemory()

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
    func gather(_ table: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
                indexCount: Int, rowLength: Int, tableRows: Int) throws
    /// out[indices[i], :] += source[i, :] for i < indexCount; out has `outRows` rows of `rowLength`.
    /// Out-of-range indices are skipped. Summation order may differ between backends.
    func scatterAdd(_ source: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
                    indexCount: Int, rowLength: Int, outRows: Int) throws

    // MARK: elementwise (Kernels/elementwise.cl, CPU/Elementwise.swift)
    /// out[i] = op(x[i]).
    func unary(_ op: UnaryOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws
    /// out[i] = op(a[·], b[·]) with NumPy broadcasting described by `layout` (operand 0 = a, 1 = b).
    /// Comparison ops write 1 or 0.
    func binary(_ op: BinaryOp, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer,
                layout: BroadcastLayout) throws
    /// out[i] = condition[·] != 0 ? a[·] : b[·], broadcasting (operands 0 = condition, 1 = a, 2 = b).
    func select(_ condition: any DeviceBuffer, _ a: any DeviceBuffer, _ b: any DeviceBuffer,
                _ out: any DeviceBuffer, layout: BroadcastLayout) throws
    /// out[i] = min(max(x[i], lower), upper).
    func clamp(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, lower: Float, upper: Float) throws
    /// out[i] = scale·x[i] + shift.
    func affine(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, scale: Float, shift: Float) throws
    /// out[i] = alpha·x[i] + beta·y[i].
    func axpby(alpha: Float, _ x: any DeviceBuffer, beta: Float, _ y: any DeviceBuffer,
               _ out: any DeviceBuffer, count: Int) throws

    // MARK: reductions (Kernels/reduce.cl, CPU/Reduce.swift)
    /// x viewed as [outer, length, inner]; out[o, i] = op over j of x[o, j, i]. out has outer·inner
    /// elements: Float32, or Int32 for argmax/argmin (first index of the extreme value).
    /// mean divides by length; variance is the population variance (divides by length).
    func reduce(_ op: ReduceOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer,
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
    func randomNormal(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64,
                      mean: Float, std: Float) throws
}
