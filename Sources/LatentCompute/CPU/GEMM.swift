// PLACEHOLDER until this family lands.
extension CPUDevice {
    public func gemm(_ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape) throws { throw notImplemented("gemm", "cpu") }
}
