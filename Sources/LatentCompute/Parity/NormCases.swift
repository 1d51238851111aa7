#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parity registrations of the norm family (Kernels/norm.cl, CPU/Norm.swift): GroupNorm with
/// 1, 2 and 32 groups, GroupNorm → SiLU fused, and LayerNorm (spatial 1, one group), forward and backward. The inputs sit
/// around 5 with spread 2, so a naive one-pass variance would lose digits.
extension KernelRegistry {
    public static var normKernels: [KernelSpec] {
        let groupShapes = [
            GroupNormShape(batch: 2, channels: 32, spatial: 49, groups: 1),
            GroupNormShape(batch: 2, channels: 32, spatial: 49, groups: 2),
            GroupNormShape(batch: 2, channels: 32, spatial: 49, groups: 32),
            GroupNormShape(batch: 1, channels: 128, spatial: 17, groups: 32),
            GroupNormShape(batch: 3, channels: 64, spatial: 3, groups: 8, epsilon: 1e-6),
            GroupNormShape(batch: 1, channels: 32, spatial: 1, groups: 32),
            GroupNormShape(batch: 4, channels: 128, spatial: 256, groups: 32),
        ]
        let layerShapes = [
            GroupNormShape(batch: 1, channels: 1, spatial: 1, groups: 1),
            GroupNormShape(batch: 5, channels: 8, spatial: 1, groups: 1),
            GroupNormShape(batch: 37, channels: 129, spatial: 1, groups: 1),
            GroupNormShape(batch: 300, channels: 256, spatial: 1, groups: 1),
        ]
        return [
            KernelSpec(
                .groupNorm, tolerance: 1e-10, deviceShaped: true,
                cases: groupShapes.enumerated().map { groupNormCase($1, seed: 700 + UInt64($0)) }),
            KernelSpec(
                .layerNorm, tolerance: 1e-10, deviceShaped: true,
                cases: layerShapes.enumerated().map { groupNormCase($1, seed: 720 + UInt64($0)) }),
            KernelSpec(
                .groupNormSiLU, tolerance: 1e-10, deviceShaped: true,
                cases: groupShapes.enumerated().map { groupNormCase($1, seed: 780 + UInt64($0), silu: true) }),
            KernelSpec(
                .groupNormBackward, tolerance: 1e-9, deviceShaped: true,
                cases: groupShapes.enumerated().map { groupNormBackwardCase($1, seed: 740 + UInt64($0)) }),
            KernelSpec(
                .layerNormBackward, tolerance: 1e-9, deviceShaped: true,
                cases: layerShapes.enumerated().map { groupNormBackwardCase($1, seed: 760 + UInt64($0)) }),
        ]
    }
}

/// The host inputs of a norm case: x (around 5), gamma, beta and an output gradient.
struct GroupNormCaseInputs {
    let x: [Float], gamma: [Float], beta: [Float], gradOut: [Float]
    init(_ s: GroupNormShape, seed: UInt64) {
        var inputs = ParityInputs(seed: seed)
        let count = s.batch * s.channels * s.spatial
        x = inputs.floats(count, low: 3, high: 7)
        gamma = inputs.floats(s.channels, low: 0.5, high: 1.5)
        beta = inputs.floats(s.channels, low: -0.5, high: 0.5)
        gradOut = inputs.floats(count)
    }
}

func groupNormShapeText(_ s: GroupNormShape) -> String {
    "\(s.batch)x\(s.channels)x\(s.spatial) g\(s.groups)"
}

private func groupNormCase(_ s: GroupNormShape, seed: UInt64, silu: Bool = false) -> KernelCase {
    KernelCase(
        shape: groupNormShapeText(s),
        run: { device in
            let inputs = GroupNormCaseInputs(s, seed: seed)
            let count = s.batch * s.channels * s.spatial, stats = s.batch * s.groups
            let out = try device.makeBuffer(byteCount: count * 4)
            let mean = try device.makeBuffer(byteCount: stats * 4), rstd = try device.makeBuffer(byteCount: stats * 4)
            let (x, gamma, beta) = (try device.upload(inputs.x), try device.upload(inputs.gamma), try device.upload(inputs.beta))
            if silu {
                try device.groupNormSiLU(x, gamma: gamma, beta: beta, out, mean: mean, rstd: rstd, shape: s)
            } else {
                try device.groupNorm(x, gamma: gamma, beta: beta, out, mean: mean, rstd: rstd, shape: s)
            }
            return [
                try device.download(out, count: count), try device.download(mean, count: stats),
                try device.download(rstd, count: stats),
            ]
        },
        reference: {
            let inputs = GroupNormCaseInputs(s, seed: seed)
            let r = referenceGroupNorm(
                inputs.x.map(Double.init), gamma: inputs.gamma.map(Double.init),
                beta: inputs.beta.map(Double.init), shape: s)
            return [silu ? r.out.map { $0 / (1 + exp(-$0)) } : r.out, r.mean, r.rstd]
        })
}

private func groupNormBackwardCase(_ s: GroupNormShape, seed: UInt64) -> KernelCase {
    KernelCase(
        shape: groupNormShapeText(s), referenceTolerance: 1e-9,
        run: { device in
            let inputs = GroupNormCaseInputs(s, seed: seed)
            let count = s.batch * s.channels * s.spatial, stats = s.batch * s.groups
            let x = try device.upload(inputs.x), gamma = try device.upload(inputs.gamma)
            let out = try device.makeBuffer(byteCount: count * 4)
            let mean = try device.makeBuffer(byteCount: stats * 4), rstd = try device.makeBuffer(byteCount: stats * 4)
            try device.groupNorm(x, gamma: gamma, beta: device.upload(inputs.beta), out, mean: mean, rstd: rstd, shape: s)
            let gradX = try device.makeBuffer(byteCount: count * 4)
            let gradGamma = try device.makeBuffer(byteCount: s.channels * 4), gradBeta = try device.makeBuffer(byteCount: s.channels * 4)
            try device.groupNormBackward(
                device.upload(inputs.gradOut), x: x, gamma: gamma, mean: mean, rstd: rstd,
                gradX: gradX, gradGamma: gradGamma, gradBeta: gradBeta, shape: s)
            return [
                try device.download(gradX, count: count), try device.download(gradGamma, count: s.channels),
                try device.download(gradBeta, count: s.channels),
            ]
        },
        reference: {
            let inputs = GroupNormCaseInputs(s, seed: seed)
            let r = referenceGroupNormBackward(
                inputs.gradOut.map(Double.init), x: inputs.x.map(Double.init),
                gamma: inputs.gamma.map(Double.init), shape: s)
            return [r.gradX, r.gradGamma, r.gradBeta]
        })
}

/// GroupNorm in Float64 from the definition: per (n, g) mean, population variance, normalise, affine.
func referenceGroupNorm(_ x: [Double], gamma: [Double], beta: [Double], shape s: GroupNormShape)
    -> (out: [Double], mean: [Double], rstd: [Double])
{
    let size = s.channels / s.groups * s.spatial
    var out = x, means = [Double](), rstds = [Double]()
    for block in 0..<(s.batch * s.groups) {
        let range = (block * size)..<((block + 1) * size)
        let mean = x[range].reduce(0, +) / Double(size)
        let variance = x[range].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(size)
        let rstd = 1 / (variance + Double(s.epsilon)).squareRoot()
        for e in range {
            let c = (e / s.spatial) % s.channels
            out[e] = (x[e] - mean) * rstd * gamma[c] + beta[c]
        }
        means.append(mean)
        rstds.append(rstd)
    }
    return (out, means, rstds)
}

/// The analytic GroupNorm gradients in Float64: with x̂ = (x − mean)·rstd and d = dy·γ over one
/// (n, g) block, gradX = rstd·(d − mean(d) − x̂·mean(d·x̂)); gradGamma[c] = Σ dy·x̂; gradBeta[c] = Σ dy.
func referenceGroupNormBackward(_ dy: [Double], x: [Double], gamma: [Double], shape s: GroupNormShape)
    -> (gradX: [Double], gradGamma: [Double], gradBeta: [Double])
{
    let size = s.channels / s.groups * s.spatial
    let forward = referenceGroupNorm(x, gamma: gamma, beta: [Double](repeating: 0, count: s.channels), shape: s)
    var gradX = x, gradGamma = [Double](repeating: 0, count: s.channels), gradBeta = gradGamma
    for block in 0..<(s.batch * s.groups) {
        let range = (block * size)..<((block + 1) * size)
        let mean = forward.mean[block], rstd = forward.rstd[block]
        var meanD = 0.0, meanDX = 0.0
        for e in range {
            let c = (e / s.spatial) % s.channels, xhat = (x[e] - mean) * rstd
            meanD += dy[e] * gamma[c] / Double(size)
            meanDX += dy[e] * gamma[c] * xhat / Double(size)
            gradGamma[c] += dy[e] * xhat
            gradBeta[c] += dy[e]
        }
        for e in range {
            let c = (e / s.spatial) % s.channels, xhat = (x[e] - mean) * rstd
            gradX[e] = rstd * (dy[e] * gamma[c] - meanD - xhat * meanDX)
        }
    }
    return (gradX, gradGamma, gradBeta)
}
