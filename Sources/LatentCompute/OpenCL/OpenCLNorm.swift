// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func groupNorm(_ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer, mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape) throws { throw notImplemented("groupNorm", "opencl") }
    public func groupNormBackward(_ gradOut: any DeviceBuffer, x: any DeviceBuffer, gamma: any DeviceBuffer, mean: any DeviceBuffer, rstd: any DeviceBuffer, gradX: any DeviceBuffer, gradGamma: any DeviceBuffer, gradBeta: any DeviceBuffer, shape: GroupNormShape) throws { throw notImplemented("groupNormBackward", "opencl") }
}
