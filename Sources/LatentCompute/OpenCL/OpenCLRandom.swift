// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func randomUniform(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64) throws { throw notImplemented("randomUniform", "opencl") }
    public func randomNormal(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64, mean: Float, std: Float) throws { throw notImplemented("randomNormal", "opencl") }
}
