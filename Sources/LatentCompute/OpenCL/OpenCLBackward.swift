/// Elementwise backward kernels, dropout, one-hot and BCE with logits (Kernels/backward.cl).
extension OpenCLDevice {
    public func unaryBackward(
        _ op: UnaryOp, _ x: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        count: Int
    ) throws {
        try launch(
            family: "backward", kernel: "unary_backward_\(op.name)", global: [(count + 3) / 4],
            arguments: [.buffer(x), .buffer(gradOut), .buffer(gradIn), .int(kernelCount(count))])
    }

    public func softmaxBackward(
        _ y: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        rows: Int, columns: Int, log: Bool
    ) throws {
        _ = try kernelCount(rows * columns)
        try launch(
            family: "backward", kernel: log ? "log_softmax_backward" : "softmax_backward", global: [rows],
            arguments: [.buffer(y), .buffer(gradOut), .buffer(gradIn), .int(Int32(rows)), .int(Int32(columns))])
    }

    public func dropout(
        _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, probability: Float,
        seed: UInt64, offset: UInt64
    ) throws {
        // One work-item per Philox block touched by elements offset ..< offset + count.
        let blocks = count == 0 ? 0 : Int(((offset &+ UInt64(count) &- 1) >> 2) &- (offset >> 2)) + 1
        try launch(
            family: "backward", kernel: "dropout", global: [blocks],
            arguments: [
                .buffer(x), .buffer(out), .int(kernelCount(count)), .float(probability), .float(dropoutScale(probability)),
                .uint(UInt32(truncatingIfNeeded: seed)), .uint(UInt32(truncatingIfNeeded: seed >> 32)),
                .uint(UInt32(truncatingIfNeeded: offset)), .uint(UInt32(truncatingIfNeeded: offset >> 32)),
            ])
    }

    public func oneHot(_ indices: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, classes: Int) throws {
        _ = try kernelCount(count * classes)
        try launch(
            family: "backward", kernel: "one_hot", global: [classes, count],
            arguments: [.buffer(indices), .buffer(out), .int(Int32(count)), .int(Int32(classes))])
    }

    public func bceWithLogits(
        _ logits: any DeviceBuffer, targets: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int
    ) throws {
        try launch(
            family: "backward", kernel: "bce_with_logits", global: [count],
            arguments: [.buffer(logits), .buffer(targets), .buffer(out), .int(kernelCount(count))])
    }
}
