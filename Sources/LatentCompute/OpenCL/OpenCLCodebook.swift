/// Nearest-codebook search (Kernels/codebook.cl), built per dimension (-DDIM). Code norms go to a
/// temporary [K] buffer first; then one work-item per row scans the codes (the tiled variant shares
/// codebook tiles through local memory). The variant follows OpenCLAttentionVariant.
extension OpenCLDevice {
    public func nearestCode(_ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
                            distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int) throws {
        try nearestCode(x, codebook: codebook, indices: indices, distances: distances, count: count, codes: codes,
                        dimension: dimension, variant: OpenCLAttentionVariant.choose(for: self))
    }

    func nearestCode(_ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
                     distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int,
                     variant: OpenCLAttentionVariant) throws {
        guard count >= 0, codes > 0, dimension > 0 else {
            throw ComputeError.invalidArgument("nearestCode: unsupported sizes (\(count), \(codes), \(dimension))")
        }
        _ = try kernelCount(count * dimension)
        _ = try kernelCount(codes * dimension)
        if count == 0 { return }
        let tile = OpenCLAttentionVariant.tileRows(dimension: dimension) * 2
        let options = "-DDIM=\(dimension) -DCODE_TILE=\(tile)"
        let norms = try makeBuffer(byteCount: codes * 4)
        try launch(family: "codebook", kernel: "code_norms", options: options, global: [codes],
                   arguments: [.buffer(codebook), .buffer(norms), .int(Int32(codes))])
        var arguments: [KernelArgument] = [
            .buffer(x), .buffer(codebook), .buffer(norms), .buffer(indices), .buffer(distances),
            .int(Int32(count)), .int(Int32(codes)),
        ]
        switch variant {
        case .rows:
            try launch(family: "codebook", kernel: "nearest_code_rows", options: options, global: [count],
                       arguments: arguments)
        case .tiled:
            let g = OpenCLAttentionVariant.groupSize
            arguments.append(.local(bytes: tile * dimension * 4))
            try launch(family: "codebook", kernel: "nearest_code_tiled", options: options,
                       global: [(count + g - 1) / g * g], local: [g], arguments: arguments)
        }
    }
}
