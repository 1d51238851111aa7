// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func reduce(_ op: ReduceOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, outer: Int, length: Int, inner: Int) throws { throw notImplemented("reduce", "opencl") }
    public func softmax(_ x: any DeviceBuffer, _ out: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws { throw notImplemented("softmax", "opencl") }
}
