/// Group normalization (Kernels/norm.cl). CPU-shaped: one work-item per (n, g) block for the
/// forward pass and gradX, one per channel for gradGamma and gradBeta. GPU-shaped: one work-group per
/// block with a local-memory reduction, and the parameter gradients in two stages (per image and
/// channel, then over the batch).
extension OpenCLDevice {
    /// Work-items per work-group of the GPU-shaped kernels (GN_GROUP in norm.cl).
    static let groupNormGroupSize = 128

    public func groupNorm(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape
    ) throws {
        try groupNorm(x, gamma: gamma, beta: beta, out, mean: mean, rstd: rstd, shape: shape, silu: false)
    }

    public func groupNormSiLU(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape
    ) throws {
        try groupNorm(x, gamma: gamma, beta: beta, out, mean: mean, rstd: rstd, shape: shape, silu: true)
    }

    private func groupNorm(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape, silu: Bool
    ) throws {
        let blocks = shape.batch * shape.groups, g = Self.groupNormGroupSize
        let tiled = !usesCPUShapedKernels
        try launch(
            family: "norm", kernel: tiled ? "group_norm_tiled" : "group_norm",
            global: tiled ? [blocks * g] : [blocks], local: tiled ? [g] : nil,
            arguments: [
                .buffer(x), .buffer(gamma), .buffer(beta), .buffer(out), .buffer(mean), .buffer(rstd),
            ] + groupNormShapeArguments(shape) + [.float(shape.epsilon), .int(silu ? 1 : 0)])
    }

    public func groupNormBackward(
        _ gradOut: any DeviceBuffer, x: any DeviceBuffer, gamma: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, gradX: any DeviceBuffer,
        gradGamma: any DeviceBuffer, gradBeta: any DeviceBuffer, shape: GroupNormShape
    ) throws {
        let packed = try groupNormShapeArguments(shape)
        let blocks = shape.batch * shape.groups, g = Self.groupNormGroupSize
        guard !usesCPUShapedKernels else {
            try launch(
                family: "norm", kernel: "group_norm_backward_input", global: [blocks],
                arguments: [
                    .buffer(gradOut), .buffer(x), .buffer(gamma), .buffer(mean), .buffer(rstd), .buffer(gradX),
                ] + packed)
            try launch(
                family: "norm", kernel: "group_norm_backward_parameters", global: [shape.channels],
                arguments: [
                    .buffer(gradOut), .buffer(x), .buffer(mean), .buffer(rstd), .buffer(gradGamma), .buffer(gradBeta),
                ] + packed)
            return
        }
        try launch(
            family: "norm", kernel: "group_norm_backward_input_tiled", global: [blocks * g], local: [g],
            arguments: [
                .buffer(gradOut), .buffer(x), .buffer(gamma), .buffer(mean), .buffer(rstd), .buffer(gradX),
            ] + packed)
        let planes = shape.batch * shape.channels
        guard planes > 0 else {
            try fill(gradGamma, count: shape.channels, value: 0)
            try fill(gradBeta, count: shape.channels, value: 0)
            return
        }
        let gammaPart = try makeBuffer(byteCount: planes * 4), betaPart = try makeBuffer(byteCount: planes * 4)
        try launch(
            family: "norm", kernel: "group_norm_parameter_partials_tiled", global: [planes * g], local: [g],
            arguments: [
                .buffer(gradOut), .buffer(x), .buffer(mean), .buffer(rstd), .buffer(gammaPart), .buffer(betaPart),
            ] + packed)
        try launch(
            family: "norm", kernel: "group_norm_parameter_totals", global: [shape.channels],
            arguments: [
                .buffer(gammaPart), .buffer(betaPart), .buffer(gradGamma), .buffer(gradBeta),
                .int(Int32(shape.batch)), .int(Int32(shape.channels)),
            ])
    }

    /// (batch, channels, spatial, groups) as four int arguments, checked against 32-bit indexing.
    private func groupNormShapeArguments(_ shape: GroupNormShape) throws -> [KernelArgument] {
        _ = try kernelCount(shape.batch * shape.channels * shape.spatial, "group norm element count")
        return [.int(Int32(shape.batch)), .int(Int32(shape.channels)), .int(Int32(shape.spatial)), .int(Int32(shape.groups))]
    }
}
