/// Small helpers the composed defaults share: scratch buffers, scalars, and broadcasting binary ops
/// described by operand shapes.
extension Device {
    /// A buffer of `count` floats (at least one) for intermediate results.
    func scratch(_ count: Int) throws -> any DeviceBuffer {
        try makeBuffer(byteCount: max(1, count) * 4)
    }

    /// A one-element buffer holding `value`, to broadcast against a tensor.
    func scalar(_ value: Float) throws -> any DeviceBuffer {
        let buffer = try scratch(1)
        try fill(buffer, count: 1, value: value)
        return buffer
    }

    /// out = op(a, b) with NumPy broadcasting of `aShape` against `bShape`.
    func broadcast(
        _ op: BinaryOp, _ a: any DeviceBuffer, _ aShape: [Int], _ b: any DeviceBuffer, _ bShape: [Int],
        _ out: any DeviceBuffer
    ) throws {
        guard let layout = BroadcastLayout(shapes: [aShape, bShape]) else {
            throw ComputeError.shapeMismatch("composed kernel: cannot broadcast \(aShape) and \(bShape)")
        }
        try binary(op, a, b, out, layout: layout)
    }

    /// out = op(a, b) for two buffers of `count` elements.
    func elementwise(_ op: BinaryOp, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        try broadcast(op, a, [count], b, [count], out)
    }
}

extension FusedKernels where Self: Device {
    /// A backend that relies on the composed defaults supports the primitives only; one that
    /// implements fused kernels overrides this to name them (`CPUDevice` and `OpenCLDevice`: all).
    public func supports(_ kernel: KernelName) -> Bool { !kernel.isFused }
}
