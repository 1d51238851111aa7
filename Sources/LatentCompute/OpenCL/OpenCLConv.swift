// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func im2col(_ input: any DeviceBuffer, _ cols: any DeviceBuffer, geometry: ConvGeometry) throws { throw notImplemented("im2col", "opencl") }
    public func col2im(_ cols: any DeviceBuffer, _ input: any DeviceBuffer, geometry: ConvGeometry) throws { throw notImplemented("col2im", "opencl") }
}
