// PLACEHOLDER until this family lands.
extension CPUDevice {
    public func fill(_ out: any DeviceBuffer, count: Int, value: Float) throws {
        let o = try cpu(out).floats
        for i in 0..<count { o[i] = value }
    }
    public func copy(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        try cpu(out).pointer.copyMemory(from: try cpu(x).pointer, byteCount: count * 4)
    }
    public func copyStrided(_ x: any DeviceBuffer, _ out: any DeviceBuffer, layout: StridedCopyLayout) throws { throw notImplemented("copyStrided", "cpu") }
    public func gather(_ table: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer, indexCount: Int, rowLength: Int, tableRows: Int) throws { throw notImplemented("gather", "cpu") }
    public func scatterAdd(_ source: any DeviceBuffer, indices: any DeviceBuffer, _ out: any DeviceBuffer, indexCount: Int, rowLength: Int, outRows: Int) throws { throw notImplemented("scatterAdd", "cpu") }
}
