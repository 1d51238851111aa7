// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func attention(q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?, _ out: any DeviceBuffer, logsumexp: any DeviceBuffer, shape: AttentionShape) throws { throw notImplemented("attention", "opencl") }
    public func attentionBackward(q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?, out: any DeviceBuffer, logsumexp: any DeviceBuffer, gradOut: any DeviceBuffer, gradQ: any DeviceBuffer, gradK: any DeviceBuffer, gradV: any DeviceBuffer, shape: AttentionShape) throws { throw notImplemented("attentionBackward", "opencl") }
}
