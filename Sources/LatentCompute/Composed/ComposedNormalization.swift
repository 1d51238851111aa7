/// GroupNorm (and LayerNorm, its one-group, one-pixel case) composed from reductions and
/// broadcasting elementwise kernels. Blocks are (image, group) pairs of size channels/groups·spatial.
extension FusedKernels where Self: Device {
    public func groupNorm(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape s: GroupNormShape
    ) throws {
        let blocks = s.batch * s.groups, size = s.channels / s.groups * s.spatial
        guard blocks > 0, size > 0 else { return }
        try reduce(.mean, x, mean, outer: blocks, length: size, inner: 1)
        try reduce(.variance, x, rstd, outer: blocks, length: size, inner: 1)
        try affine(rstd, rstd, count: blocks, scale: 1, shift: s.epsilon)
        try unary(.rsqrt, rstd, rstd, count: blocks)
        try normalized(x, mean: mean, rstd: rstd, into: out, blocks: blocks, size: size)
        let planes = [s.batch, s.channels, s.spatial], perChannel = [1, s.channels, 1]
        try broadcast(.mul, out, planes, gamma, perChannel, out)
        try broadcast(.add, out, planes, beta, perChannel, out)
    }

    public func groupNormSiLU(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape s: GroupNormShape
    ) throws {
        try groupNorm(x, gamma: gamma, beta: beta, out, mean: mean, rstd: rstd, shape: s)
        try unary(.silu, out, out, count: s.batch * s.channels * s.spatial)
    }

    /// With x̂ = (x − mean)·rstd and d = dy·γ per block: gradX = rstd·(d − mean(d) − x̂·mean(d·x̂)),
    /// gradGamma[c] = Σ dy·x̂, gradBeta[c] = Σ dy (sums over images and pixels).
    public func groupNormBackward(
        _ gradOut: any DeviceBuffer, x: any DeviceBuffer, gamma: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, gradX: any DeviceBuffer,
        gradGamma: any DeviceBuffer, gradBeta: any DeviceBuffer, shape s: GroupNormShape
    ) throws {
        let blocks = s.batch * s.groups, size = s.channels / s.groups * s.spatial, count = blocks * size
        let planes = [s.batch, s.channels, s.spatial]
        guard count > 0 else {
            try fill(gradGamma, count: s.channels, value: 0)
            try fill(gradBeta, count: s.channels, value: 0)
            return
        }
        let xhat = try scratch(count), product = try scratch(count), scaled = try scratch(count)
        try normalized(x, mean: mean, rstd: rstd, into: xhat, blocks: blocks, size: size)
        try channelSums(gradOut, into: gradBeta, shape: s)
        try elementwise(.mul, gradOut, xhat, product, count: count)
        try channelSums(product, into: gradGamma, shape: s)

        let meanScaled = try scratch(blocks), meanScaledXhat = try scratch(blocks)
        try broadcast(.mul, gradOut, planes, gamma, [1, s.channels, 1], scaled)
        try reduce(.mean, scaled, meanScaled, outer: blocks, length: size, inner: 1)
        try elementwise(.mul, scaled, xhat, product, count: count)
        try reduce(.mean, product, meanScaledXhat, outer: blocks, length: size, inner: 1)
        try broadcast(.mul, xhat, [blocks, size], meanScaledXhat, [blocks, 1], product)
        try elementwise(.sub, scaled, product, scaled, count: count)
        try broadcast(.sub, scaled, [blocks, size], meanScaled, [blocks, 1], scaled)
        try broadcast(.mul, scaled, [blocks, size], rstd, [blocks, 1], gradX)
    }

    /// out = (x − mean)·rstd per block.
    private func normalized(
        _ x: any DeviceBuffer, mean: any DeviceBuffer, rstd: any DeviceBuffer, into out: any DeviceBuffer,
        blocks: Int, size: Int
    ) throws {
        try broadcast(.sub, x, [blocks, size], mean, [blocks, 1], out)
        try broadcast(.mul, out, [blocks, size], rstd, [blocks, 1], out)
    }

    /// sums[c] = Σ over images and pixels of values [batch, channels, spatial].
    private func channelSums(_ values: any DeviceBuffer, into sums: any DeviceBuffer, shape s: GroupNormShape) throws {
        let perImage = try scratch(s.batch * s.channels)
        try reduce(.sum, values, perImage, outer: s.batch * s.channels, length: s.spatial, inner: 1)
        try reduce(.sum, perImage, sums, outer: 1, length: s.batch, inner: s.channels)
    }
}
