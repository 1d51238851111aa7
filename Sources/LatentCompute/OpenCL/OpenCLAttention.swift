#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Rows or tiles: which kernels of Kernels/attention.cl and Kernels/codebook.cl run.
enum OpenCLTilingVariant: String, Sendable, CaseIterable {
    /// One work-item per row, no local memory: CPU OpenCL devices (PoCL).
    case rows
    /// Work-groups staging tiles of the other operand in local memory: GPUs.
    case tiled

    /// The device type decides, unless `KernelVariant.forced` says otherwise.
    static func choose(for device: OpenCLDevice) -> OpenCLTilingVariant {
        device.usesCPUShapedKernels ? .rows : .tiled
    }

    /// Work-group size of the tiled kernels (rows per group).
    static let groupSize = 64

    /// Rows of the other operand per local tile: two tiles stay within 32 KiB.
    static func tileRows(dimension: Int) -> Int { max(1, min(64, 4096 / max(dimension, 1))) }
}

/// Fused attention (Kernels/attention.cl). The program is built per head dimension (-DHEAD_DIM),
/// so the per-row arrays are private and fully unrolled. The backward pass runs three kernels:
/// Di = rowsum(dO∘O) into a temporary [B·Lq] buffer, dQ (parallel over query rows) and dK/dV
/// (parallel over key rows); each recomputes P from the saved logsumexp, so nothing races.
extension OpenCLDevice {
    public func attention(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        _ out: any DeviceBuffer, logsumexp: any DeviceBuffer, shape: AttentionShape
    ) throws {
        try attention(
            q: q, k: k, v: v, mask: mask, out, logsumexp: logsumexp, shape: shape,
            variant: OpenCLTilingVariant.choose(for: self))
    }

    public func attentionBackward(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        out: any DeviceBuffer, logsumexp: any DeviceBuffer, gradOut: any DeviceBuffer,
        gradQ: any DeviceBuffer, gradK: any DeviceBuffer, gradV: any DeviceBuffer,
        shape: AttentionShape
    ) throws {
        try attentionBackward(
            q: q, k: k, v: v, mask: mask, out: out, logsumexp: logsumexp, gradOut: gradOut,
            gradQ: gradQ, gradK: gradK, gradV: gradV, shape: shape,
            variant: OpenCLTilingVariant.choose(for: self))
    }

    /// Build options and checked sizes shared by the attention kernels.
    private func attentionSetup(_ s: AttentionShape, kernel: String) throws -> (options: String, lq: Int32, lk: Int32) {
        guard s.batch >= 0, s.queryLength >= 0, s.keyLength >= 0, s.headDimension > 0 else {
            throw ComputeError.invalidArgument("\(kernel): unsupported shape \(s)")
        }
        _ = try kernelCount(s.batch * max(s.queryLength, s.keyLength) * s.headDimension)
        _ = try kernelCount(s.queryLength * s.keyLength, "mask size")
        let tile = OpenCLTilingVariant.tileRows(dimension: s.headDimension)
        return ("-DHEAD_DIM=\(s.headDimension) -DKEY_TILE=\(tile)", Int32(s.queryLength), Int32(s.keyLength))
    }

    /// Global and local sizes for `rows` rows per problem.
    private func attentionRange(rows: Int, batch: Int, variant: OpenCLTilingVariant) -> ([Int], [Int]?) {
        switch variant {
        case .rows: return ([rows, batch], nil)
        case .tiled:
            let g = OpenCLTilingVariant.groupSize
            return ([(rows + g - 1) / g * g, batch], [g, 1])
        }
    }

    func attention(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        _ out: any DeviceBuffer, logsumexp: any DeviceBuffer, shape s: AttentionShape,
        variant: OpenCLTilingVariant
    ) throws {
        let (options, lq, lk) = try attentionSetup(s, kernel: "attention")
        if s.batch == 0 || s.queryLength == 0 { return }
        switch variant {
        case .rows:
            // Kᵀ padded to 16 keys and V padded to 16 columns (temporaries, O(B·Lk·D)), then
            // 4 query rows per work-item.
            let lkPad = (s.keyLength + 15) / 16 * 16, dPad = (s.headDimension + 15) / 16 * 16
            let kt = try makeBuffer(byteCount: max(1, s.batch * s.headDimension * lkPad) * 4)
            let vp = try makeBuffer(byteCount: max(1, s.batch * s.keyLength * dPad) * 4)
            try launch(
                family: "attention", kernel: "attention_pack", options: options, global: [lkPad, s.batch],
                arguments: [.buffer(k), .buffer(v), .buffer(kt), .buffer(vp), .int(lk), .int(Int32(lkPad))])
            try launch(
                family: "attention", kernel: "attention_forward_rows", options: options,
                global: [(s.queryLength + 3) / 4, s.batch],
                arguments: [
                    .buffer(q), .buffer(kt), .buffer(vp), .buffer(mask ?? q), .int(mask == nil ? 0 : 1),
                    .buffer(out), .buffer(logsumexp), .int(lq), .int(lk), .int(Int32(lkPad)), .float(s.scale),
                ])
        case .tiled:
            let (global, local) = attentionRange(rows: s.queryLength, batch: s.batch, variant: variant)
            let tileBytes = OpenCLTilingVariant.tileRows(dimension: s.headDimension) * s.headDimension * 4
            try launch(
                family: "attention", kernel: "attention_forward_tiled", options: options,
                global: global, local: local,
                arguments: [
                    .buffer(q), .buffer(k), .buffer(v), .buffer(mask ?? q), .int(mask == nil ? 0 : 1),
                    .buffer(out), .buffer(logsumexp), .int(lq), .int(lk), .float(s.scale),
                    .local(bytes: tileBytes), .local(bytes: tileBytes),
                ])
        }
    }

    func attentionBackward(
        q: any DeviceBuffer, k: any DeviceBuffer, v: any DeviceBuffer, mask: (any DeviceBuffer)?,
        out: any DeviceBuffer, logsumexp: any DeviceBuffer, gradOut: any DeviceBuffer,
        gradQ: any DeviceBuffer, gradK: any DeviceBuffer, gradV: any DeviceBuffer,
        shape s: AttentionShape, variant: OpenCLTilingVariant
    ) throws {
        let (options, lq, lk) = try attentionSetup(s, kernel: "attentionBackward")
        if s.batch == 0 { return }
        let di = try makeBuffer(byteCount: max(1, s.batch * s.queryLength) * 4)
        try launch(
            family: "attention", kernel: "attention_row_dot", options: options, global: [s.queryLength, s.batch],
            arguments: [.buffer(gradOut), .buffer(out), .buffer(di), .int(lq)])
        let tileBytes = OpenCLTilingVariant.tileRows(dimension: s.headDimension) * s.headDimension * 4
        let tiles: [KernelArgument] = variant == .tiled ? [.local(bytes: tileBytes), .local(bytes: tileBytes)] : []
        let common: [KernelArgument] = [
            .buffer(q), .buffer(k), .buffer(v), .buffer(mask ?? q), .int(mask == nil ? 0 : 1), .buffer(logsumexp),
            .buffer(di), .buffer(gradOut),
        ]
        let dq = attentionRange(rows: s.queryLength, batch: s.batch, variant: variant)
        try launch(
            family: "attention", kernel: "attention_backward_dq_\(variant.rawValue)", options: options,
            global: dq.0, local: dq.1,
            arguments: common + [.buffer(gradQ), .int(lq), .int(lk), .float(s.scale)] + tiles)
        let dkdv = attentionRange(rows: s.keyLength, batch: s.batch, variant: variant)
        try launch(
            family: "attention", kernel: "attention_backward_dkdv_\(variant.rawValue)", options: options,
            global: dkdv.0, local: dkdv.1,
            arguments: common + [.buffer(gradK), .buffer(gradV), .int(lq), .int(lk), .float(s.scale)] + tiles)
        // A fully masked or empty key set leaves nothing to do for dQ; Lq = 0 gives dK = dV = 0.
        // `di` is released here; the in-order queue runs the kernels above before any reuse.
    }
}
