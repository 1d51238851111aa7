/// Fused scaled dot-product attention.
extension Tensor {
    /// softmax(scale·q·kᵀ + mask)·v for q [B, Lq, D], k and v [B, Lk, D] (B = batch·heads) and an
    /// optional additive mask [Lq, Lk]; scale defaults to 1/√D. The score matrix is never stored.
    public static func attention(
        query q: Tensor, key k: Tensor, value v: Tensor, mask: Tensor? = nil,
        scale: Float? = nil
    ) throws -> Tensor {
        guard q.rank == 3, k.rank == 3, v.rank == 3, q.shape[0] == k.shape[0], k.shape == v.shape,
            q.shape[2] == k.shape[2]
        else {
            throw ComputeError.shapeMismatch("attention needs q [B, Lq, D], k and v [B, Lk, D], got \(q.shape), \(k.shape), \(v.shape)")
        }
        let shape = AttentionShape(
            batch: q.shape[0], queryLength: q.shape[1], keyLength: k.shape[1],
            headDimension: q.shape[2], scale: scale)
        if let mask, mask.shape != [shape.queryLength, shape.keyLength] {
            throw ComputeError.shapeMismatch("attention mask \(mask.shape), expected [\(shape.queryLength), \(shape.keyLength)]")
        }
        for t in [k, v] + (mask.map { [$0] } ?? []) { try q.requireSameDevice(t, "attention") }
        let out = try Tensor.empty(q.shape, on: q.device)
        let logsumexp = try Tensor.empty([shape.batch, shape.queryLength], on: q.device)
        try q.device.attention(
            q: q.buffer, k: k.buffer, v: v.buffer, mask: mask?.buffer, out.buffer,
            logsumexp: logsumexp.buffer, shape: shape)
        return record(out, "attention", [q, k, v]) { g in
            let (gq, gk, gv) = (
                try Tensor.empty(q.shape, on: q.device), try Tensor.empty(k.shape, on: q.device),
                try Tensor.empty(v.shape, on: q.device)
            )
            try q.device.attentionBackward(
                q: q.buffer, k: k.buffer, v: v.buffer, mask: mask?.buffer, out: out.buffer,
                logsumexp: logsumexp.buffer, gradOut: g.buffer, gradQ: gq.buffer,
                gradK: gk.buffer, gradV: gv.buffer, shape: shape)
            return [gq, gk, gv]
        }
    }
}
