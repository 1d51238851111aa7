/// A device that runs only the primitive kernels of another and every fused kernel through its
/// composed default: what a new backend is before it writes any fused kernel. The parity suite
/// runs `KernelVariant.composed` on it, so the composed defaults are checked on every backend.
public final class PrimitivesOnlyDevice: Device {
    public let base: any Device

    public init(_ base: any Device) { self.base = base }

    // MARK: runtime
    public var backend: Backend { base.backend }
    public var name: String { "\(base.name), primitives only" }
    public func makeBuffer(byteCount: Int) throws -> any DeviceBuffer { try base.makeBuffer(byteCount: byteCount) }
    public func write(_ source: UnsafeRawBufferPointer, to buffer: any DeviceBuffer, byteOffset: Int) throws {
        try base.write(source, to: buffer, byteOffset: byteOffset)
    }
    public func read(_ buffer: any DeviceBuffer, byteOffset: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        try base.read(buffer, byteOffset: byteOffset, into: destination)
    }
    public func synchronize() throws { try base.synchronize() }
    public var memoryUsage: MemoryUsage { base.memoryUsage }
    public func resetPeakMemory() { base.resetPeakMemory() }
    public var activity: DeviceActivity { base.activity }
    public var scratchBudgetBytes: Int { base.scratchBudgetBytes }
    public func view(of buffer: any DeviceBuffer, byteOffset: Int, byteCount: Int) throws -> (any DeviceBuffer)? {
        try base.view(of: buffer, byteOffset: byteOffset, byteCount: byteCount)
    }
    public var viewAlignmentBytes: Int? { base.viewAlignmentBytes }

    // MARK: primitive kernels
    public func fill(_ out: any DeviceBuffer, count: Int, value: Float) throws { try base.fill(out, count: count, value: value) }
    public func copy(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws { try base.copy(x, out, count: count) }
    public func copyStrided(_ x: any DeviceBuffer, _ out: any DeviceBuffer, layout: StridedCopyLayout) throws {
        try base.copyStrided(x, out, layout: layout)
    }
    public func gather(
        _ table: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, tableRows: Int
    ) throws {
        try base.gather(table, indices: indices, out, indexCount: indexCount, rowLength: rowLength, tableRows: tableRows)
    }
    public func scatterAdd(
        _ source: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer,
        indexCount: Int, rowLength: Int, outRows: Int
    ) throws {
        try base.scatterAdd(source, indices: indices, out, indexCount: indexCount, rowLength: rowLength, outRows: outRows)
    }
    public func unary(_ op: UnaryOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        try base.unary(op, x, out, count: count)
    }
    public func binary(
        _ op: BinaryOp, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer,
        layout: BroadcastLayout
    ) throws {
        try base.binary(op, a, b, out, layout: layout)
    }
    public func select(
        _ condition: any DeviceBuffer, _ a: any DeviceBuffer, _ b: any DeviceBuffer,
        _ out: any DeviceBuffer, layout: BroadcastLayout
    ) throws {
        try base.select(condition, a, b, out, layout: layout)
    }
    public func affine(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, scale: Float, shift: Float) throws {
        try base.affine(x, out, count: count, scale: scale, shift: shift)
    }
    public func reduce(_ op: ReduceOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, outer: Int, length: Int, inner: Int) throws {
        try base.reduce(op, x, out, outer: outer, length: length, inner: inner)
    }
    public func softmax(_ x: any DeviceBuffer, _ out: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws {
        try base.softmax(x, out, rows: rows, columns: columns, log: log)
    }
    public func gemm(_ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape) throws {
        try base.gemm(a, b, c, shape: shape)
    }
    public func randomUniform(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64) throws {
        try base.randomUniform(out, count: count, seed: seed, offset: offset)
    }
    public func randomNormal(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64, mean: Float, std: Float) throws {
        try base.randomNormal(out, count: count, seed: seed, offset: offset, mean: mean, std: std)
    }
    public func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry: ConvGeometry) throws {
        try base.im2col(input, cols, geometry: geometry)
    }
    public func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry: ConvGeometry) throws {
        try base.col2im(cols, input, geometry: geometry)
    }
    public func unaryBackward(
        _ op: UnaryOp, _ x: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        count: Int
    ) throws {
        try base.unaryBackward(op, x, gradOut: gradOut, gradIn: gradIn, count: count)
    }
    public func oneHot(_ indices: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, classes: Int) throws {
        try base.oneHot(indices, out, count: count, classes: classes)
    }
}
