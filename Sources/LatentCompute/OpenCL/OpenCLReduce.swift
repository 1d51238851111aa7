/// Reductions and softmax (Kernels/reduce.cl).
extension OpenCLDevice {
    /// Work-items a launch should offer to keep the device busy.
    private var busyItems: Int { usesCPUShapedKernels ? 4 * max(1, info.computeUnits) : 16_384 }

    /// A 1-D range over `items` work-items. On CPU devices the work-group size is set small so that
    /// PoCL spreads the few, long work-items of a reduction over all its threads.
    private func range(_ items: Int) -> (global: [Int], local: [Int]?) {
        guard usesCPUShapedKernels else { return ([items], nil) }
        var local = 1
        while local < 64 && local * 2 * busyItems <= items { local *= 2 }
        return ([(items + local - 1) / local * local], [local])
    }

    public func reduce(
        _ op: ReduceOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer,
        outer: Int, length: Int, inner: Int
    ) throws {
        let outputs = outer * inner
        guard outputs > 0 else { return }
        _ = try kernelCount(outputs * length)
        let name = op.name
        let columnBlocks = (inner + 15) / 16
        if usesCPUShapedKernels, inner >= 16, [.sum, .mean, .max, .min].contains(op), columnBlocks * outer >= busyItems {
            // CPU, reduction over a non-last axis: vector accumulators over 16 neighbouring columns.
            try launch(
                family: "reduce", kernel: "reduce_columns_\(name)", global: [columnBlocks, outer],
                arguments: [
                    .buffer(x), .buffer(out), .int(Int32(length)), .int(Int32(inner)), .int(Int32(outer)),
                ])
            return
        }
        let minimumChunk = usesCPUShapedKernels ? 4096 : 256
        if outputs >= busyItems || length < 2 * minimumChunk {
            let (global, local) = range(outputs)
            try launch(
                family: "reduce", kernel: "reduce_\(name)", global: global, local: local,
                arguments: [
                    .buffer(x), .buffer(out), .int(Int32(length)), .int(Int32(inner)), .int(Int32(outputs)),
                ])
            return
        }
        // Few outputs over a long axis: each output's axis is split into chunks reduced in parallel,
        // then one work-item per output merges its chunks.
        let chunks = max(2, min((busyItems + outputs - 1) / outputs, length / minimumChunk))
        let chunkLength = (length + chunks - 1) / chunks
        // GPUs read interleaved chunks (neighbouring work-items touch neighbouring elements); CPUs read
        // contiguous chunks.
        let interleaved: Int32 = usesCPUShapedKernels ? 0 : 1
        let partials = try makeBuffer(byteCount: outputs * chunks * 16)
        try launch(
            family: "reduce", kernel: "reduce_partial_\(name)", global: [chunks, outputs],
            local: usesCPUShapedKernels ? [1, 1] : nil,
            arguments: [
                .buffer(x), .buffer(partials), .int(Int32(length)), .int(Int32(inner)), .int(Int32(outputs)),
                .int(Int32(chunkLength)), .int(interleaved),
            ])
        let (global, local) = range(outputs)
        try launch(
            family: "reduce", kernel: "reduce_combine_\(name)", global: global, local: local,
            arguments: [
                .buffer(partials), .buffer(out), .int(Int32(chunks)), .int(Int32(length)), .int(Int32(outputs)),
            ])
    }

    public func softmax(_ x: any DeviceBuffer, _ out: any DeviceBuffer, rows: Int, columns: Int, log: Bool) throws {
        guard rows > 0, columns > 0 else { return }
        _ = try kernelCount(rows * columns)
        // CPUs: one work-item per row. GPUs: a work-group per row unless rows are short.
        if usesCPUShapedKernels || columns < 128 {
            let (global, local) = range(rows)
            try launch(
                family: "reduce", kernel: "softmax_rows", global: global, local: local,
                arguments: [
                    .buffer(x), .buffer(out), .int(Int32(rows)), .int(Int32(columns)), .int(log ? 1 : 0),
                ])
            return
        }
        var groupSize = 1
        while groupSize * 2 <= min(256, info.maxWorkGroupSize) && groupSize < columns { groupSize *= 2 }
        try launch(
            family: "reduce", kernel: "softmax_group", global: [rows * groupSize], local: [groupSize],
            arguments: [
                .buffer(x), .buffer(out), .int(Int32(columns)), .int(log ? 1 : 0), .local(bytes: groupSize * 4),
            ])
    }
}
