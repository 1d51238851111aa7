/// Attention composed from batched GEMMs, a broadcast mask add, a log-sum-exp reduction and exp:
/// it writes the [batch, Lq, Lk] probability matrix that the fused kernels never materialise.
extension FusedKernels where Self: Device {
    public func attention(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        _ out: any DeviceBuffer, logsumexp: any DeviceBuffer, shape s: AttentionShape
    ) throws {
        guard s.batch > 0, s.queryLength > 0 else { return }
        let probabilities = try attentionProbabilities(q: q, k: k, mask: mask, logsumexp: logsumexp, shape: s, writeLogsumexp: true)
        try gemm(probabilities, v, out, shape: GemmShape(batch: s.batch, m: s.queryLength, n: s.headDimension, k: s.keyLength))
    }

    /// dV = Pᵀ·dO; dS = P∘(dO·Vᵀ − rowsum(dO∘O)); dQ = scale·dS·K; dK = scale·dSᵀ·Q.
    public func attentionBackward(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        out: any DeviceBuffer, logsumexp: any DeviceBuffer, gradOut: any DeviceBuffer,
        gradQ: any DeviceBuffer, gradK: any DeviceBuffer, gradV: any DeviceBuffer,
        shape s: AttentionShape
    ) throws {
        let (b, lq, lk, d) = (s.batch, s.queryLength, s.keyLength, s.headDimension)
        guard b > 0 else { return }
        let p = try attentionProbabilities(q: q, k: k, mask: mask, logsumexp: logsumexp, shape: s, writeLogsumexp: false)
        try gemm(p, gradOut, gradV, shape: GemmShape(batch: b, m: lk, n: d, k: lq, transposeA: true))
        let gradScores = try scratch(b * lq * lk)
        try gemm(gradOut, v, gradScores, shape: GemmShape(batch: b, m: lq, n: lk, k: d, transposeB: true))
        let rowDots = try scratch(b * lq), product = try scratch(b * lq * d)
        try elementwise(.mul, gradOut, out, product, count: b * lq * d)
        try reduce(.sum, product, rowDots, outer: b * lq, length: d, inner: 1)
        try broadcast(.sub, gradScores, [b * lq, lk], rowDots, [b * lq, 1], gradScores)
        try elementwise(.mul, gradScores, p, gradScores, count: b * lq * lk)
        try gemm(gradScores, k, gradQ, shape: GemmShape(batch: b, m: lq, n: d, k: lk, alpha: s.scale))
        try gemm(gradScores, q, gradK, shape: GemmShape(batch: b, m: lk, n: d, k: lq, transposeA: true, alpha: s.scale))
    }

    /// P = exp(scale·Q·Kᵀ + mask − logsumexp), from the given log-sum-exp or (forward) one computed here.
    private func attentionProbabilities(
        q: any DeviceBuffer, k: any DeviceBuffer, mask: (any DeviceBuffer)?,
        logsumexp: any DeviceBuffer, shape s: AttentionShape,
        writeLogsumexp: Bool
    ) throws -> any DeviceBuffer {
        let (b, lq, lk, d) = (s.batch, s.queryLength, s.keyLength, s.headDimension)
        let scores = try scratch(b * lq * lk)
        try gemm(q, k, scores, shape: GemmShape(batch: b, m: lq, n: lk, k: d, transposeB: true, alpha: s.scale))
        if let mask { try broadcast(.add, scores, [b, lq, lk], mask, [lq, lk], scores) }
        if writeLogsumexp { try reduce(.logsumexp, scores, logsumexp, outer: b * lq, length: lk, inner: 1) }
        try broadcast(.sub, scores, [b * lq, lk], logsumexp, [b * lq, 1], scores)
        try unary(.exp, scores, scores, count: b * lq * lk)
        return scores
    }
}
