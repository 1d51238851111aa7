// PLACEHOLDER until this family lands.
extension CPUDevice {
    public func randomUniform(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64) throws { throw notImplemented("randomUniform", "cpu") }
    public func randomNormal(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64, mean: Float, std: Float) throws { throw notImplemented("randomNormal", "cpu") }
}
