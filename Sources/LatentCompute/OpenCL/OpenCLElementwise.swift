// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func unary(_ op: UnaryOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws { throw notImplemented("unary", "opencl") }
    public func binary(_ op: BinaryOp, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer, layout: BroadcastLayout) throws { throw notImplemented("binary", "opencl") }
    public func select(_ condition: any DeviceBuffer, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer, layout: BroadcastLayout) throws { throw notImplemented("select", "opencl") }
    public func clamp(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, lower: Float, upper: Float) throws { throw notImplemented("clamp", "opencl") }
    public func affine(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, scale: Float, shift: Float) throws { throw notImplemented("affine", "opencl") }
    public func axpby(alpha: Float, _ x: any DeviceBuffer, beta: Float, _ y: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws { throw notImplemented("axpby", "opencl") }
}
