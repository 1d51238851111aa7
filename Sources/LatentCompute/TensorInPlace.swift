/// In-place updates of a tensor's own storage: loading weights, optimizer and EMA updates, codebook
/// maintenance. They are the only way code outside LatentCompute changes a tensor after creating it.
///
/// A tensor that autograd recorded as an intermediate result (one with a `gradFunction`) may be read
/// again by the backward pass, so writing over it is refused. Leaves (parameters, state) may be
/// updated: that is what an optimizer step does.
extension Tensor {
    func requireWritable(_ op: String) throws {
        guard gradFunction == nil else {
            throw ComputeError.invalidArgument("\(op) would overwrite a recorded intermediate result \(shape); use a detached copy")
        }
    }

    /// Copies `source`'s values into this tensor (same shape and dtype, same device).
    public func assign(_ source: Tensor) throws {
        try requireWritable("assign")
        try requireSameDevice(source, "assign")
        guard source.shape == shape, source.dtype == dtype else {
            throw ComputeError.shapeMismatch("assign of \(source.shape) \(source.dtype) to \(shape) \(dtype)")
        }
        if source.buffer === buffer { return }
        try device.copy(source.buffer, buffer, count: count)
    }

    /// Uploads host values into this float32 tensor (as many values as elements).
    public func assign(_ values: [Float]) throws {
        try requireWritable("assign")
        try requireFloat("assign")
        guard values.count == count else {
            throw ComputeError.shapeMismatch("assign of \(values.count) values to a tensor of shape \(shape)")
        }
        try values.withUnsafeBytes { try device.write($0, to: buffer, byteOffset: 0) }
    }

    /// Uploads host Int32 values into this int32 tensor.
    public func assign(indices values: [Int32]) throws {
        try requireWritable("assign")
        guard dtype == .int32 else { throw ComputeError.dtypeMismatch("assign(indices:) on a \(dtype) tensor") }
        guard values.count == count else {
            throw ComputeError.shapeMismatch("assign of \(values.count) indices to a tensor of shape \(shape)")
        }
        try values.withUnsafeBytes { try device.write($0, to: buffer, byteOffset: 0) }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) throws {
        try requireWritable("fill")
        try requireFloat("fill")
        try device.fill(buffer, count: count, value: value)
    }

    /// self = alpha·x + beta·y, elementwise; x or y may be self (elementwise kernels read element i
    /// before writing it).
    public func assignAxpby(_ alpha: Float, _ x: Tensor, _ beta: Float, _ y: Tensor) throws {
        try requireWritable("assignAxpby")
        for t in [self, x, y] {
            try t.requireFloat("assignAxpby")
            try requireSameDevice(t, "assignAxpby")
        }
        guard x.shape == shape, y.shape == shape else {
            throw ComputeError.shapeMismatch("assignAxpby of \(x.shape) and \(y.shape) into \(shape)")
        }
        try device.axpby(alpha: alpha, x.buffer, beta: beta, y.buffer, buffer, count: count)
    }

    /// self = self + weight·(end − self), computed as (1 − weight)·self + weight·end.
    public func lerp(toward end: Tensor, weight: Float) throws {
        try assignAxpby(1 - weight, self, weight, end)
    }
}
