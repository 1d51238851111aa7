// PLACEHOLDER until this family lands.
extension OpenCLDevice {
    public func nearestCode(_ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer, distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int) throws { throw notImplemented("nearestCode", "opencl") }
}
