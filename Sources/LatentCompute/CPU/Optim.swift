// PLACEHOLDER until this family lands.
extension CPUDevice {
    public func adamStep(_ parameter: any DeviceBuffer, gradient: any DeviceBuffer, m: any DeviceBuffer, v: any DeviceBuffer, count: Int, hyper: AdamHyperparameters) throws { throw notImplemented("adamStep", "cpu") }
    public func sgdStep(_ parameter: any DeviceBuffer, gradient: any DeviceBuffer, momentumBuffer: any DeviceBuffer, count: Int, hyper: SGDHyperparameters) throws { throw notImplemented("sgdStep", "cpu") }
}
