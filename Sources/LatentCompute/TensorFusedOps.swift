/// Tensor-level entry points of the fused kernels (optimizer steps, nearest-code search, one-hot,
/// elementwise binary cross-entropy). They check shapes and devices, then call one kernel.
extension Tensor {
    /// One Adam/AdamW step on this parameter in place, with its moment tensors `m` and `v`.
    public func adamStep(gradient: Tensor, m: Tensor, v: Tensor, hyper: AdamHyperparameters) throws {
        try requireWritable("adamStep")
        for t in [gradient, m, v] {
            try requireSameDevice(t, "adamStep")
            guard t.shape == shape else { throw ComputeError.shapeMismatch("adamStep: \(t.shape) beside parameter \(shape)") }
        }
        try device.adamStep(buffer, gradient: gradient.buffer, m: m.buffer, v: v.buffer, count: count, hyper: hyper)
    }

    /// `adamStep` decided on the device: unchanged where `apply` holds 0, else the gradient times
    /// `scale` and bias correction with t = `step` (one-element tensors; `hyper.step` is ignored).
    public func adamStep(
        gradient: Tensor, m: Tensor, v: Tensor, hyper: AdamHyperparameters, apply: Tensor, scale: Tensor, step: Tensor
    ) throws {
        try requireWritable("adamStepGated")
        for t in [gradient, m, v] {
            try requireSameDevice(t, "adamStepGated")
            guard t.shape == shape else { throw ComputeError.shapeMismatch("adamStepGated: \(t.shape) beside parameter \(shape)") }
        }
        for t in [apply, scale, step] {
            try requireSameDevice(t, "adamStepGated")
            guard t.count == 1, t.dtype == .float32 else {
                throw ComputeError.shapeMismatch("adamStepGated: apply, scale and step must hold one float each, not \(t.shape)")
            }
        }
        try device.adamStepGated(
            buffer, gradient: gradient.buffer, m: m.buffer, v: v.buffer, count: count, hyper: hyper,
            apply: apply.buffer, scale: scale.buffer, step: step.buffer)
    }

    /// [Σ x, Σ x²] of every tensor, as one tensor [2·count] (sum, then sum of squares, per tensor),
    /// in a few launches. Not differentiable; the tensors must share a device (`device` when empty).
    public static func sumsAndSquares(of tensors: [Tensor], on device: any Device) throws -> Tensor {
        let out = try Tensor.empty([2 * tensors.count], on: device)
        for t in tensors {
            try t.requireFloat("tensorSums")
            try out.requireSameDevice(t, "tensorSums")
        }
        try device.tensorSums(tensors.map(\.buffer), counts: tensors.map(\.count), out.buffer)
        return out
    }

    /// One SGD step (momentum, Nesterov, weight decay as PyTorch) on this parameter in place.
    public func sgdStep(gradient: Tensor, momentumBuffer: Tensor, hyper: SGDHyperparameters) throws {
        try requireWritable("sgdStep")
        for t in [gradient, momentumBuffer] {
            try requireSameDevice(t, "sgdStep")
            guard t.shape == shape else { throw ComputeError.shapeMismatch("sgdStep: \(t.shape) beside parameter \(shape)") }
        }
        try device.sgdStep(buffer, gradient: gradient.buffer, momentumBuffer: momentumBuffer.buffer, count: count, hyper: hyper)
    }

    /// For each row of self [N, D], the index (int32 [N]) of the nearest row of `codebook` [K, D] by
    /// squared Euclidean distance (lowest index on ties) and that distance [N]. Not differentiable.
    public func nearestCode(in codebook: Tensor) throws -> (indices: Tensor, distances: Tensor) {
        try requireFloat("nearestCode")
        try requireSameDevice(codebook, "nearestCode")
        guard rank == 2, codebook.rank == 2, codebook.shape[1] == shape[1], codebook.shape[0] > 0 else {
            throw ComputeError.shapeMismatch("nearestCode of vectors \(shape) in codebook \(codebook.shape)")
        }
        let n = shape[0]
        let indices = try Tensor.empty([n], dtype: .int32, on: device)
        let distances = try Tensor.empty([n], on: device)
        try device.nearestCode(
            buffer, codebook: codebook.buffer, indices: indices.buffer, distances: distances.buffer,
            count: n, codes: codebook.shape[0], dimension: shape[1])
        return (indices, distances)
    }

    /// One-hot rows [N, classes] of this int32 tensor [N] (an index out of range gives a zero row).
    public func oneHot(classes: Int) throws -> Tensor {
        guard dtype == .int32 else { throw ComputeError.dtypeMismatch("oneHot needs int32 indices, got \(dtype)") }
        guard classes > 0 else { throw ComputeError.invalidArgument("oneHot needs at least one class, got \(classes)") }
        let out = try Tensor.empty([count, classes], on: device)
        try device.oneHot(buffer, out.buffer, count: count, classes: classes)
        return out
    }

    /// Elementwise binary cross-entropy of these logits against `targets` in [0, 1], differentiable:
    /// max(x, 0) − x·t + log(1 + exp(−|x|)).
    public func binaryCrossEntropyWithLogits(_ targets: Tensor) throws -> Tensor {
        guard shape == targets.shape else {
            throw ComputeError.shapeMismatch("binaryCrossEntropyWithLogits of \(shape) and \(targets.shape)")
        }
        try requireFloat("binaryCrossEntropyWithLogits")
        try requireSameDevice(targets, "binaryCrossEntropyWithLogits")
        let elementwise = try Tensor.empty(shape, on: device)
        try device.bceWithLogits(buffer, targets: targets.buffer, elementwise.buffer, count: count)
        let logits = self
        return Tensor.record(elementwise, "bce_with_logits", [logits, targets]) { g in
            // d/dx = sigmoid(x) − t; d/dt = −x.
            [try (logits.sigmoid() - targets) * g, try (logits * g).neg()]
        }
    }
}
