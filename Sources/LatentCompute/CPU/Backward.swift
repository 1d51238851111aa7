// PLACEHOLDER until this family lands.
extension CPUDevice {
    public func unaryBackward(_ op: UnaryOp, _ x: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer, count: Int) throws { throw notImplemented("unaryBackward", "cpu") }
    public func softmaxBackward(_ y: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws { throw notImplemented("softmaxBackward", "cpu") }
    public func dropout(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, probability: Float, seed: UInt64, offset: UInt64) throws { throw notImplemented("dropout", "cpu") }
    public func oneHot(_ indices: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, classes: Int) throws { throw notImplemented("oneHot", "cpu") }
    public func bceWithLogits(_ logits: any DeviceBuffer, targets: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws { throw notImplemented("bceWithLogits", "cpu") }
}
