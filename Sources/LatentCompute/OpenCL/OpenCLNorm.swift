/// Group normalization (Kernels/norm.cl): one work-item per (n, g) block for the forward pass and
/// gradX, one per channel for gradGamma and gradBeta.
extension OpenCLDevice {
    public func groupNorm(_ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
                          mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape) throws {
        try launch(family: "norm", kernel: "group_norm", global: [shape.batch * shape.groups], arguments: [
            .buffer(x), .buffer(gamma), .buffer(beta), .buffer(out), .buffer(mean), .buffer(rstd),
        ] + groupNormShapeArguments(shape) + [.float(shape.epsilon)])
    }

    public func groupNormBackward(_ gradOut: any DeviceBuffer, x: any DeviceBuffer, gamma: any DeviceBuffer,
                                  mean: any DeviceBuffer, rstd: any DeviceBuffer, gradX: any DeviceBuffer,
                                  gradGamma: any DeviceBuffer, gradBeta: any DeviceBuffer, shape: GroupNormShape) throws {
        let packed = try groupNormShapeArguments(shape)
        try launch(family: "norm", kernel: "group_norm_backward_input", global: [shape.batch * shape.groups], arguments: [
            .buffer(gradOut), .buffer(x), .buffer(gamma), .buffer(mean), .buffer(rstd), .buffer(gradX),
        ] + packed)
        try launch(family: "norm", kernel: "group_norm_backward_parameters", global: [shape.channels], arguments: [
            .buffer(gradOut), .buffer(x), .buffer(mean), .buffer(rstd), .buffer(gradGamma), .buffer(gradBeta),
        ] + packed)
    }

    /// (batch, channels, spatial, groups) as four int arguments, checked against 32-bit indexing.
    private func groupNormShapeArguments(_ shape: GroupNormShape) throws -> [KernelArgument] {
        _ = try kernelCount(shape.batch * shape.channels * shape.spatial, "group norm element count")
        return [.int(Int32(shape.batch)), .int(Int32(shape.channels)), .int(Int32(shape.spatial)), .int(Int32(shape.groups))]
    }
}
