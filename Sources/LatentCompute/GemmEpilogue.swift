/// What a product adds in the same pass after alpha·op(A)·op(B) + beta·C: element (z, i, j) of
/// batch z's C becomes residual[z·rz + i·ri + j·rj] + (value + bias[z·bz + i·bi + j·bj]). That is
/// the order of the separate adds it replaces (a layer's bias, then a residual connection), so the
/// result is bit-identical to them. A stride of 0 broadcasts an operand along that axis: a
/// convolution's bias is (0, 1, 0) over [images, channels, pixels], a linear layer's (0, 0, 1).
public struct GemmEpilogue {
    /// A buffer read at z·batchStride + i·rowStride + j·columnStride.
    public struct Operand {
        public var buffer: any DeviceBuffer
        public var batchStride: Int
        public var rowStride: Int
        public var columnStride: Int

        public init(_ buffer: any DeviceBuffer, batchStride: Int, rowStride: Int, columnStride: Int) {
            self.buffer = buffer
            self.batchStride = batchStride
            self.rowStride = rowStride
            self.columnStride = columnStride
        }

        /// The largest element index read for `batch` matrices of m×n, plus one.
        func extent(batch: Int, m: Int, n: Int) -> Int {
            (batch - 1) * batchStride + (m - 1) * rowStride + (n - 1) * columnStride + 1
        }
    }

    public var bias: Operand?
    public var residual: Operand?

    public init(bias: Operand? = nil, residual: Operand? = nil) {
        self.bias = bias
        self.residual = residual
    }

    public var isEmpty: Bool { bias == nil && residual == nil }

    /// Checks the operands against the product: non-negative strides that stay inside their
    /// buffers, and batch matrices of C that do not overlap (each element is written once).
    func validate(for s: GemmShape) throws {
        guard !isEmpty, s.batch > 0, s.m > 0, s.n > 0 else { return }
        guard s.batch == 1 || s.strideC >= s.m * s.n else {
            throw ComputeError.invalidArgument("gemm epilogue: the batch matrices of C overlap (\(s))")
        }
        for (name, operand) in [("bias", bias), ("residual", residual)] {
            guard let operand else { continue }
            guard operand.batchStride >= 0, operand.rowStride >= 0, operand.columnStride >= 0 else {
                throw ComputeError.invalidArgument("gemm epilogue: negative \(name) stride")
            }
            let extent = operand.extent(batch: s.batch, m: s.m, n: s.n)
            guard extent * 4 <= operand.buffer.byteCount, extent <= Int(Int32.max) else {
                throw ComputeError.invalidArgument("gemm epilogue: the \(name) buffer is too small for \(s)")
            }
        }
    }
}
