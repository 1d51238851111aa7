// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func unaryBackward(_ op: UnaryOp, _ x: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer, count: Int) throws { throw notImplemented("unaryBackward", "opencl") }
    public func softmaxBackward(_ y: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws { throw notImplemented("softmaxBackward", "opencl") }
    public func dropout(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, probability: Float, seed: UInt64, offset: UInt64) throws { throw notImplemented("dropout", "opencl") }
    public func oneHot(_ indices: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, classes: Int) throws { throw notImplemented("oneHot", "opencl") }
    public func bceWithLogits(_ logits: any DeviceBuffer, targets: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws { throw notImplemented("bceWithLogits", "opencl") }
}
