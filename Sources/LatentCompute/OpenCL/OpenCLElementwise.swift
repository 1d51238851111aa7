/// Elementwise kernels (Kernels/elementwise.cl): one kernel per op, named after the op.
extension OpenCLDevice {
    public func unary(_ op: UnaryOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        try launch(
            family: "elementwise", kernel: "unary_\(op.name)", global: [(count + 3) / 4],
            arguments: [.buffer(x), .buffer(out), .int(kernelCount(count))])
    }

    public func binary(
        _ op: BinaryOp, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer,
        layout: BroadcastLayout
    ) throws {
        if layout.isElementwise {
            let count = layout.count
            try launch(
                family: "elementwise", kernel: "binary_\(op.name)", global: [(count + 3) / 4],
                arguments: [.buffer(a), .buffer(b), .buffer(out), .int(kernelCount(count))])
            return
        }
        let range = try StridedRange(shape: layout.shape, operandStrides: layout.operandStrides, device: self)
        try launch(
            family: "elementwise", kernel: "binary_\(op.name)\(range.rows ? "_rows" : "_strided")", global: range.global, local: range.local,
            arguments: [
                .buffer(a), .buffer(b), .buffer(out), .int8(range.shape), .int(range.rank),
                .int8(range.strides(layout.operandStrides[0])), .int8(range.strides(layout.operandStrides[1])),
            ])
    }

    public func select(
        _ condition: any DeviceBuffer, _ a: any DeviceBuffer, _ b: any DeviceBuffer,
        _ out: any DeviceBuffer, layout: BroadcastLayout
    ) throws {
        if layout.isElementwise {
            let count = layout.count
            try launch(
                family: "elementwise", kernel: "select_contiguous", global: [count],
                arguments: [.buffer(condition), .buffer(a), .buffer(b), .buffer(out), .int(kernelCount(count))])
            return
        }
        let range = try StridedRange(shape: layout.shape, operandStrides: layout.operandStrides, device: self)
        try launch(
            family: "elementwise", kernel: range.rows ? "select_rows" : "select_strided", global: range.global, local: range.local,
            arguments: [
                .buffer(condition), .buffer(a), .buffer(b), .buffer(out), .int8(range.shape), .int(range.rank),
                .int8(range.strides(layout.operandStrides[0])), .int8(range.strides(layout.operandStrides[1])),
                .int8(range.strides(layout.operandStrides[2])),
            ])
    }

    public func clamp(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, lower: Float, upper: Float) throws {
        try launch(
            family: "elementwise", kernel: "clamp_values", global: [(count + 3) / 4],
            arguments: [.buffer(x), .buffer(out), .int(kernelCount(count)), .float(lower), .float(upper)])
    }

    public func affine(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, scale: Float, shift: Float) throws {
        try launch(
            family: "elementwise", kernel: "affine", global: [(count + 3) / 4],
            arguments: [.buffer(x), .buffer(out), .int(kernelCount(count)), .float(scale), .float(shift)])
    }

    public func modulate(
        _ x: any DeviceBuffer, shift: any DeviceBuffer, scale: any DeviceBuffer, _ out: any DeviceBuffer,
        batch: Int, tokens: Int, channels: Int
    ) throws {
        guard batch > 0, tokens > 0, channels > 0 else { return }
        try launch(
            family: "elementwise", kernel: "modulate", global: [channels, tokens, batch],
            arguments: [
                .buffer(x), .buffer(shift), .buffer(scale), .buffer(out), .int(try kernelCount(tokens, "tokens")),
                .int(try kernelCount(channels, "channels")),
            ])
    }

    public func axpby(
        alpha: Float, _ x: any DeviceBuffer, beta: Float, _ y: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int
    ) throws {
        try launch(
            family: "elementwise", kernel: "axpby", global: [(count + 3) / 4],
            arguments: [
                .float(alpha), .buffer(x), .float(beta), .buffer(y), .buffer(out), .int(kernelCount(count)),
            ])
    }
}
