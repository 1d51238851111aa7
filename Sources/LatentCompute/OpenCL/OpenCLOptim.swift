// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func adamStep(_ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer, count: Int, hyper: AdamHyperparameters) throws { throw notImplemented("adamStep", "opencl") }
    public func sgdStep(_ parameter: any DeviceBuffer, gradient: any DeviceBuffer, momentumBuffer: any DeviceBuffer, count: Int, hyper: SGDHyperparameters) throws { throw notImplemented("sgdStep", "opencl") }
}
