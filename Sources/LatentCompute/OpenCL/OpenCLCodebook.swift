/// Nearest-codebook search (Kernels/codebook.cl), built per dimension (-DDIM). The rows variant (CPU
/// devices) first writes the codebook transposed and its norms to temporary buffers, then each
/// work-item scores 4 rows against 16 codes at a time with float16 accumulators; the tiled variant
/// (GPUs) writes the norms, then one work-item per row shares codebook tiles through local memory.
/// The variant follows OpenCLTilingVariant.
extension OpenCLDevice {
    /// The longest vectors the fused kernels search (their private per-work-item copy of one vector).
    static let maxFusedCodeDimension = 256

    public func nearestCode(
        _ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
        distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int
    ) throws {
        // The kernels keep one vector of DIM floats per work-item in private memory; past
        // `maxFusedCodeDimension` PoCL was seen to crash (D = 784), so long vectors take the composed path.
        guard dimension <= Self.maxFusedCodeDimension else {
            try composedNearestCode(
                x, codebook: codebook, indices: indices, distances: distances, count: count, codes: codes,
                dimension: dimension)
            return
        }
        try nearestCode(
            x, codebook: codebook, indices: indices, distances: distances, count: count, codes: codes,
            dimension: dimension, variant: OpenCLTilingVariant.choose(for: self))
    }

    func nearestCode(
        _ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
        distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int,
        variant: OpenCLTilingVariant
    ) throws {
        guard count >= 0, codes > 0, dimension > 0 else {
            throw ComputeError.invalidArgument("nearestCode: unsupported sizes (\(count), \(codes), \(dimension))")
        }
        _ = try kernelCount(count * dimension)
        _ = try kernelCount(codes * dimension)
        if count == 0 { return }
        let tile = OpenCLTilingVariant.tileRows(dimension: dimension) * 2
        let options = "-DDIM=\(dimension) -DCODE_TILE=\(tile)"
        let g = OpenCLTilingVariant.groupSize
        switch variant {
        case .rows:
            // Codebook transposed [D × kpad] and its norms, then 4 rows per work-item.
            let kpad = (codes + 15) / 16 * 16
            let et = try makeBuffer(byteCount: dimension * kpad * 4), norms = try makeBuffer(byteCount: kpad * 4)
            try launch(
                family: "codebook", kernel: "codebook_transpose", options: options, global: [kpad],
                arguments: [
                    .buffer(codebook), .buffer(et), .buffer(norms), .int(Int32(codes)), .int(Int32(kpad)),
                ])
            try launch(
                family: "codebook", kernel: "nearest_code_rows", options: options, global: [(count + 3) / 4],
                arguments: [
                    .buffer(x), .buffer(codebook), .buffer(et), .buffer(norms), .buffer(indices),
                    .buffer(distances), .int(Int32(count)), .int(Int32(kpad)),
                ])
        case .tiled:
            let norms = try makeBuffer(byteCount: codes * 4)
            try launch(
                family: "codebook", kernel: "code_norms", options: options, global: [codes],
                arguments: [.buffer(codebook), .buffer(norms), .int(Int32(codes))])
            try launch(
                family: "codebook", kernel: "nearest_code_tiled", options: options,
                global: [(count + g - 1) / g * g], local: [g],
                arguments: [
                    .buffer(x), .buffer(codebook), .buffer(norms), .buffer(indices), .buffer(distances),
                    .int(Int32(count)), .int(Int32(codes)), .local(bytes: tile * dimension * 4),
                ])
        }
    }
}
