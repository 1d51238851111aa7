/// Group and layer normalization as one fused kernel each way.
extension Tensor {
    /// GroupNorm over self [N, C, ...] with `groups` groups and per-channel gamma, beta [C].
    public func groupNorm(groups: Int, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        try normalized(groupNormShape(groups: groups, epsilon: epsilon, "groupNorm"), gamma: gamma, beta: beta, name: "group_norm")
    }

    /// silu(groupNorm(x)). Without a gradient to record it runs the fused kernel (one pass, no
    /// intermediate tensor); while recording, the two differentiable steps.
    public func groupNormSiLU(groups: Int, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        guard !GradMode.isEnabled || ![self, gamma, beta].contains(where: \.requiresGrad) else {
            return try groupNorm(groups: groups, gamma: gamma, beta: beta, epsilon: epsilon).silu()
        }
        return try normalized(
            groupNormShape(groups: groups, epsilon: epsilon, "groupNormSiLU"), gamma: gamma, beta: beta,
            name: "group_norm_silu", silu: true)
    }

    /// The kernels' view of self [N, C, ...] as [N, C, spatial] in `groups` groups.
    private func groupNormShape(groups: Int, epsilon: Float, _ op: String) throws -> GroupNormShape {
        guard rank >= 2, groups >= 1, shape[1] % groups == 0 else {
            throw ComputeError.shapeMismatch("\(op) of \(shape) with \(groups) groups")
        }
        return GroupNormShape(
            batch: shape[0], channels: shape[1], spatial: shape.dropFirst(2).reduce(1, *), groups: groups, epsilon: epsilon)
    }

    /// LayerNorm over the last axis with gamma, beta of that size.
    public func layerNorm(gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        guard let d = shape.last, d > 0 else { throw ComputeError.shapeMismatch("layerNorm of \(shape)") }
        return try normalized(
            GroupNormShape(batch: count / d, channels: d, spatial: 1, groups: 1, epsilon: epsilon),
            gamma: gamma, beta: beta, name: "layer_norm")
    }

    /// The normalisation (followed by SiLU when `silu`, which callers use only when nothing is
    /// recorded: the fused kernel has no backward).
    func normalized(_ norm: GroupNormShape, gamma: Tensor, beta: Tensor, name: String, silu: Bool = false) throws -> Tensor {
        guard gamma.shape == [norm.channels], beta.shape == [norm.channels] else {
            throw ComputeError.shapeMismatch("\(name): gamma \(gamma.shape) and beta \(beta.shape), expected [\(norm.channels)]")
        }
        try requireFloat(name)
        try requireSameDevice(gamma, name)
        try requireSameDevice(beta, name)
        let out = try Tensor.empty(shape, on: device)
        let mean = try Tensor.empty([norm.batch * norm.groups], on: device)
        let rstd = try Tensor.empty([norm.batch * norm.groups], on: device)
        if silu {
            try device.groupNormSiLU(
                buffer, gamma: gamma.buffer, beta: beta.buffer, out.buffer, mean: mean.buffer,
                rstd: rstd.buffer, shape: norm)
            return out
        }
        try device.groupNorm(
            buffer, gamma: gamma.buffer, beta: beta.buffer, out.buffer, mean: mean.buffer,
            rstd: rstd.buffer, shape: norm)
        let x = self
        return Tensor.record(out, name, [x, gamma, beta]) { g in
            let gradX = try Tensor.empty(x.shape, on: x.device)
            let gradGamma = try Tensor.empty(gamma.shape, on: x.device)
            let gradBeta = try Tensor.empty(beta.shape, on: x.device)
            try x.device.groupNormBackward(
                g.buffer, x: x.buffer, gamma: gamma.buffer, mean: mean.buffer, rstd: rstd.buffer,
                gradX: gradX.buffer, gradGamma: gradGamma.buffer, gradBeta: gradBeta.buffer,
                shape: norm)
            return [gradX, gradGamma, gradBeta]
        }
    }
}
