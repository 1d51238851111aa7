// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func fill(_ out: any DeviceBuffer, count: Int, value: Float) throws { throw notImplemented("fill", "opencl") }
    public func copy(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws { throw notImplemented("copy", "opencl") }
    public func copyStrided(_ x: any DeviceBuffer, _ out: any DeviceBuffer, layout: StridedCopyLayout) throws { throw notImplemented("copyStrided", "opencl") }
    public func gather(_ table: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer, indexCount: Int, rowLength: Int, tableRows: Int) throws { throw notImplemented("gather", "opencl") }
    public func scatterAdd(_ source: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer, indexCount: Int, rowLength: Int, outRows: Int) throws { throw notImplemented("scatterAdd", "opencl") }
}
