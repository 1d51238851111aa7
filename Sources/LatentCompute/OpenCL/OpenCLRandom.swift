/// Philox noise (Kernels/random.cl, written with the CPU reference in Random/Philox.swift).
extension OpenCLDevice {
    public func randomUniform(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64) throws {
        try launch(
            family: "random", kernel: "random_uniform", global: [count],
            arguments: [
                .buffer(out), .uint(UInt32(try kernelCount(count))),
                .uint(UInt32(truncatingIfNeeded: seed)), .uint(UInt32(truncatingIfNeeded: seed >> 32)),
                .uint(UInt32(truncatingIfNeeded: offset)), .uint(UInt32(truncatingIfNeeded: offset >> 32)),
            ])
    }

    public func randomNormal(
        _ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64,
        mean: Float, std: Float
    ) throws {
        try launch(
            family: "random", kernel: "random_normal", global: [count],
            arguments: [
                .buffer(out), .uint(UInt32(try kernelCount(count))),
                .uint(UInt32(truncatingIfNeeded: seed)), .uint(UInt32(truncatingIfNeeded: seed >> 32)),
                .uint(UInt32(truncatingIfNeeded: offset)), .uint(UInt32(truncatingIfNeeded: offset >> 32)),
                .float(mean), .float(std),
            ])
    }
}
