#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parity registrations of the attention family: `attention` (outputs out, logsumexp) and
/// `attention_backward` (outputs dQ, dK, dV), with naive Float64 references.
extension KernelRegistry {
    public static var attentionKernels: [KernelSpec] {
        let shapes: [AttentionCase] = [
            AttentionCase(batch: 1, queryLength: 1, keyLength: 1, dimension: 1, mask: .none),
            AttentionCase(batch: 2, queryLength: 3, keyLength: 17, dimension: 7, mask: .causal),
            AttentionCase(batch: 3, queryLength: 17, keyLength: 3, dimension: 64, mask: .random),
            AttentionCase(batch: 1, queryLength: 127, keyLength: 127, dimension: 7, mask: .causal),
            AttentionCase(batch: 2, queryLength: 17, keyLength: 127, dimension: 64, mask: .none),
            AttentionCase(batch: 2, queryLength: 5, keyLength: 200, dimension: 16, mask: .random),
            AttentionCase(batch: 2, queryLength: 150, keyLength: 300, dimension: 32, mask: .causal),
            // The head dimensions of the default U-Net (128) and of large DiTs (256).
            AttentionCase(batch: 2, queryLength: 9, keyLength: 70, dimension: 128, mask: .causal),
            AttentionCase(batch: 1, queryLength: 5, keyLength: 33, dimension: 256, mask: .random),
            // The default U-Net's own attention (one head over 7×7 tokens), and 256 without a mask.
            AttentionCase(batch: 1, queryLength: 49, keyLength: 49, dimension: 128, mask: .none),
            AttentionCase(batch: 2, queryLength: 17, keyLength: 17, dimension: 256, mask: .none),
        ]
        return [
            KernelSpec(
                .attention, tolerance: 1e-9, deviceShaped: true, benchmarks: attentionBenchmarks,
                cases: shapes.map { c in
                    KernelCase(
                        shape: c.description, referenceTolerance: 1e-9,
                        run: { device in try c.runForward(on: device) },
                        reference: { c.referenceForward() })
                }),
            KernelSpec(
                .attentionBackward, tolerance: 1e-8, deviceShaped: true,
                cases: shapes.map { c in
                    KernelCase(
                        shape: c.description, referenceTolerance: 1e-8,
                        run: { device in try c.runBackward(on: device) },
                        reference: { c.referenceBackward() })
                }),
        ]
    }
}

/// One attention parity configuration with its deterministic inputs and Float64 reference.
public struct AttentionCase: Sendable, CustomStringConvertible {
    public enum Mask: String, Sendable {
        /// No mask.
        case none
        /// 0 where key j ≤ query i + (Lk − Lq) (bottom-right aligned, so every row keeps a key), else −∞.
        case causal
        /// Finite additive values in [−2, 2).
        case random
    }

    public let shape: AttentionShape
    public let mask: Mask

    public init(batch: Int, queryLength: Int, keyLength: Int, dimension: Int, mask: Mask) {
        shape = AttentionShape(batch: batch, queryLength: queryLength, keyLength: keyLength, headDimension: dimension)
        self.mask = mask
    }

    public var description: String {
        "B\(shape.batch) Lq\(shape.queryLength) Lk\(shape.keyLength) D\(shape.headDimension) mask \(mask.rawValue)"
    }

    /// q, k, v, gradOut in [−1, 1) and the mask (nil for .none).
    public func inputs() -> (q: [Float], k: [Float], v: [Float], gradOut: [Float], mask: [Float]?) {
        let s = shape
        var g = ParityInputs(seed: UInt64(s.batch * 1_000_003 + s.queryLength * 1009 + s.keyLength * 31 + s.headDimension))
        let q = g.floats(s.batch * s.queryLength * s.headDimension)
        let k = g.floats(s.batch * s.keyLength * s.headDimension)
        let v = g.floats(s.batch * s.keyLength * s.headDimension)
        let gradOut = g.floats(s.batch * s.queryLength * s.headDimension)
        switch mask {
        case .none: return (q, k, v, gradOut, nil)
        case .random: return (q, k, v, gradOut, g.floats(s.queryLength * s.keyLength, low: -2, high: 2))
        case .causal:
            var m = [Float](repeating: 0, count: s.queryLength * s.keyLength)
            for i in 0..<s.queryLength {
                for j in 0..<s.keyLength where j > i + s.keyLength - s.queryLength { m[i * s.keyLength + j] = -.infinity }
            }
            return (q, k, v, gradOut, m)
        }
    }

    /// Runs the forward kernel: [out, logsumexp].
    public func runForward(on device: any Device) throws -> [[Double]] {
        let s = shape, x = inputs()
        let out = try device.makeBuffer(byteCount: max(1, s.batch * s.queryLength * s.headDimension) * 4)
        let lse = try device.makeBuffer(byteCount: max(1, s.batch * s.queryLength) * 4)
        try device.attention(
            q: device.upload(x.q), k: device.upload(x.k), v: device.upload(x.v),
            mask: x.mask.map { try device.upload($0) }, out, logsumexp: lse, shape: s)
        return [
            try device.download(out, count: s.batch * s.queryLength * s.headDimension),
            try device.download(lse, count: s.batch * s.queryLength),
        ]
    }

    /// Runs the forward then the backward kernel on the device: [dQ, dK, dV].
    public func runBackward(on device: any Device) throws -> [[Double]] {
        let s = shape, x = inputs()
        let qCount = s.batch * s.queryLength * s.headDimension, kCount = s.batch * s.keyLength * s.headDimension
        let q = try device.upload(x.q), k = try device.upload(x.k), v = try device.upload(x.v)
        let mask = try x.mask.map { try device.upload($0) }
        let out = try device.makeBuffer(byteCount: max(1, qCount) * 4)
        let lse = try device.makeBuffer(byteCount: max(1, s.batch * s.queryLength) * 4)
        try device.attention(q: q, k: k, v: v, mask: mask, out, logsumexp: lse, shape: s)
        let gq = try device.makeBuffer(byteCount: max(1, qCount) * 4)
        let gk = try device.makeBuffer(byteCount: max(1, kCount) * 4)
        let gv = try device.makeBuffer(byteCount: max(1, kCount) * 4)
        try device.attentionBackward(
            q: q, k: k, v: v, mask: mask, out: out, logsumexp: lse,
            gradOut: device.upload(x.gradOut), gradQ: gq, gradK: gk, gradV: gv, shape: s)
        return [
            try device.download(gq, count: qCount), try device.download(gk, count: kCount),
            try device.download(gv, count: kCount),
        ]
    }

    public func referenceForward() -> [[Double]] {
        let x = inputs()
        let r = AttentionReference.forward(
            q: x.q.map(Double.init), k: x.k.map(Double.init), v: x.v.map(Double.init),
            mask: x.mask?.map(Double.init), shape: shape)
        return [r.out, r.logsumexp]
    }

    public func referenceBackward() -> [[Double]] {
        let x = inputs()
        let r = AttentionReference.backward(
            q: x.q.map(Double.init), k: x.k.map(Double.init), v: x.v.map(Double.init),
            mask: x.mask?.map(Double.init), gradOut: x.gradOut.map(Double.init),
            shape: shape)
        return [r.dq, r.dk, r.dv]
    }
}

/// Naive Float64 attention: the whole score matrix of each problem, two-pass softmax.
public enum AttentionReference {
    /// Softmax probabilities [Lq × Lk] of problem b and the row logsumexps.
    static func probabilities(q: [Double], k: [Double], mask: [Double]?, shape s: AttentionShape, batch b: Int)
        -> (p: [Double], lse: [Double])
    {
        let d = s.headDimension, lq = s.queryLength, lk = s.keyLength
        var p = [Double](repeating: 0, count: lq * lk), lse = [Double](repeating: -.infinity, count: lq)
        for i in 0..<lq {
            var best = -Double.infinity
            for j in 0..<lk {
                var dot = 0.0
                for t in 0..<d { dot += q[(b * lq + i) * d + t] * k[(b * lk + j) * d + t] }
                let score = Double(s.scale) * dot + (mask?[i * lk + j] ?? 0)
                p[i * lk + j] = score
                best = max(best, score)
            }
            if best == -.infinity { continue }
            var total = 0.0
            for j in 0..<lk { total += exp(p[i * lk + j] - best) }
            for j in 0..<lk { p[i * lk + j] = exp(p[i * lk + j] - best) / total }
            lse[i] = best + log(total)
        }
        return (p, lse)
    }

    public static func forward(q: [Double], k: [Double], v: [Double], mask: [Double]?, shape s: AttentionShape)
        -> (out: [Double], logsumexp: [Double])
    {
        let d = s.headDimension, lq = s.queryLength, lk = s.keyLength
        var out = [Double](repeating: 0, count: s.batch * lq * d), lse = [Double]()
        for b in 0..<s.batch {
            let (p, l) = probabilities(q: q, k: k, mask: mask, shape: s, batch: b)
            lse += l
            for i in 0..<lq {
                for j in 0..<lk where p[i * lk + j] != 0 {
                    for t in 0..<d { out[(b * lq + i) * d + t] += p[i * lk + j] * v[(b * lk + j) * d + t] }
                }
            }
        }
        return (out, lse)
    }

    /// dQ, dK, dV by the chain rule through the explicit softmax.
    public static func backward(
        q: [Double], k: [Double], v: [Double], mask: [Double]?, gradOut: [Double],
        shape s: AttentionShape
    ) -> (dq: [Double], dk: [Double], dv: [Double]) {
        let d = s.headDimension, lq = s.queryLength, lk = s.keyLength
        var dq = [Double](repeating: 0, count: s.batch * lq * d)
        var dk = [Double](repeating: 0, count: s.batch * lk * d), dv = dk
        for b in 0..<s.batch {
            let (p, _) = probabilities(q: q, k: k, mask: mask, shape: s, batch: b)
            for i in 0..<lq {
                let go = (b * lq + i) * d
                var dp = [Double](repeating: 0, count: lk)
                var rowDot = 0.0
                for j in 0..<lk {
                    for t in 0..<d { dp[j] += gradOut[go + t] * v[(b * lk + j) * d + t] }
                    rowDot += p[i * lk + j] * dp[j]
                }
                for j in 0..<lk {
                    let pij = p[i * lk + j]
                    let ds = pij * (dp[j] - rowDot) * Double(s.scale)
                    for t in 0..<d {
                        dv[(b * lk + j) * d + t] += pij * gradOut[go + t]
                        dq[go + t] += ds * k[(b * lk + j) * d + t]
                        dk[(b * lk + j) * d + t] += ds * q[go + t]
                    }
                }
            }
        }
        return (dq, dk, dv)
    }
}
