/// adaLN modulation, the conditioning of DiT blocks: x·(1 + scale) + shift per image and channel,
/// through the fused `modulate` kernel.
extension Tensor {
    /// self [N, T, C] · (1 + scale[N, C]) + shift[N, C]; differentiable in all three.
    public func modulated(shift: Tensor, scale: Tensor) throws -> Tensor {
        try requireFloat("modulated")
        for t in [shift, scale] {
            try requireSameDevice(t, "modulated")
            try t.requireFloat("modulated")
        }
        guard rank == 3, shift.shape == [shape[0], shape[2]], scale.shape == shift.shape else {
            throw ComputeError.shapeMismatch("modulated needs x [N, T, C] with shift and scale [N, C], got \(shape), \(shift.shape), \(scale.shape)")
        }
        let (batch, tokens, channels) = (shape[0], shape[1], shape[2])
        let out = try Tensor.empty(shape, on: device)
        try device.modulate(
            buffer, shift: shift.buffer, scale: scale.buffer, out.buffer,
            batch: batch, tokens: tokens, channels: channels)
        let x = self
        return Tensor.record(out, "modulate", [x, shift, scale]) { g in
            // dx = g·(1 + scale); dshift = Σ_t g; dscale = Σ_t g·x.
            let factor = try scale.affine(scale: 1, shift: 1).reshaped([batch, 1, channels])
            return [try g * factor, try g.sum(axis: 1), try (g * x).sum(axis: 1)]
        }
    }
}
