// PLACEHOLDER until this family lands.
extension CPUDevice {
    public func reduce(_ op: ReduceOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, outer: Int, length: Int, inner: Int) throws { throw notImplemented("reduce", "cpu") }
    public func softmax(_ x: any DeviceBuffer, _ out: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws { throw notImplemented("softmax", "cpu") }
}
