/// The composed defaults of the small fused kernels: clamp, axpby, modulate, softmax backward,
/// dropout and binary cross-entropy, each a few primitive elementwise and reduction kernels.
extension FusedKernels where Self: Device {
    public func clamp(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, lower: Float, upper: Float) throws {
        try broadcast(.maximum, x, [count], scalar(lower), [1], out)
        try broadcast(.minimum, out, [count], scalar(upper), [1], out)
    }

    public func axpby(
        alpha: Float, _ x: any DeviceBuffer, beta: Float, _ y: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int
    ) throws {
        let scaledX = try scratch(count)
        try affine(x, scaledX, count: count, scale: alpha, shift: 0)
        try affine(y, out, count: count, scale: beta, shift: 0)
        try elementwise(.add, scaledX, out, out, count: count)
    }

    public func modulate(
        _ x: any DeviceBuffer, shift: any DeviceBuffer, scale: any DeviceBuffer, _ out: any DeviceBuffer,
        batch: Int, tokens: Int, channels: Int
    ) throws {
        let onePlusScale = try scratch(batch * channels)
        try affine(scale, onePlusScale, count: batch * channels, scale: 1, shift: 1)
        try broadcast(.mul, x, [batch, tokens, channels], onePlusScale, [batch, 1, channels], out)
        try broadcast(.add, out, [batch, tokens, channels], shift, [batch, 1, channels], out)
    }

    public func softmaxBackward(
        _ y: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        rows: Int, columns: Int, log: Bool
    ) throws {
        let count = rows * columns, rowSums = try scratch(rows), product = try scratch(count)
        if log {
            // g − exp(y)·Σ g
            try reduce(.sum, gradOut, rowSums, outer: rows, length: columns, inner: 1)
            try unary(.exp, y, product, count: count)
            try broadcast(.mul, product, [rows, columns], rowSums, [rows, 1], product)
            try elementwise(.sub, gradOut, product, gradIn, count: count)
        } else {
            // y·(g − Σ g·y)
            try elementwise(.mul, gradOut, y, product, count: count)
            try reduce(.sum, product, rowSums, outer: rows, length: columns, inner: 1)
            try broadcast(.sub, gradOut, [rows, columns], rowSums, [rows, 1], product)
            try elementwise(.mul, y, product, gradIn, count: count)
        }
    }

    public func dropout(
        _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, probability: Float,
        seed: UInt64, offset: UInt64
    ) throws {
        let keep = try scratch(count)
        try randomUniform(keep, count: count, seed: seed, offset: offset)
        try broadcast(.greaterEqual, keep, [count], scalar(probability), [1], keep)
        try elementwise(.mul, x, keep, out, count: count)
        try affine(out, out, count: count, scale: dropoutScale(probability), shift: 0)
    }

    public func bceWithLogits(_ logits: any DeviceBuffer, targets: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        // max(x, 0) − x·t + log(1 + exp(−|x|))
        let softplus = try scratch(count), product = try scratch(count)
        try unary(.abs, logits, softplus, count: count)
        try unary(.neg, softplus, softplus, count: count)
        try unary(.exp, softplus, softplus, count: count)
        try affine(softplus, softplus, count: count, scale: 1, shift: 1)
        try unary(.log, softplus, softplus, count: count)
        try elementwise(.mul, logits, targets, product, count: count)
        try unary(.relu, logits, out, count: count)
        try elementwise(.sub, out, product, out, count: count)
        try elementwise(.add, out, softplus, out, count: count)
    }
}
