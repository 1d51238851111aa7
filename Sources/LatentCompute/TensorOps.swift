/// Tensor-level operations: they validate shapes, dtypes and devices, allocate the result on the
/// operands' device and call one kernel of the device's kernel set.
extension Tensor {
    func requireFloat(_ op: String) throws {
        guard dtype == .float32 else { throw ComputeError.dtypeMismatch("\(op) needs a float32 tensor, got \(dtype)") }
    }

    func requireSameDevice(_ other: Tensor, _ op: String) throws {
        guard other.device === device else {
            throw ComputeError.deviceMismatch("\(op) of tensors on \(device.name) and \(other.device.name); move one with to(_:)")
        }
    }

    /// Normalizes a possibly negative axis.
    func axis(_ axis: Int, _ op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw ComputeError.invalidArgument("\(op): axis \(axis) out of range for shape \(shape)") }
        return a
    }

    // MARK: elementwise

    public func apply(_ op: UnaryOp) throws -> Tensor {
        try requireFloat(op.name)
        let out = try Tensor.empty(shape, on: device)
        try device.unary(op, buffer, out.buffer, count: count)
        let x = self
        return Tensor.record(out, op.name, [x]) { g in
            let gradIn = try Tensor.empty(x.shape, on: x.device)
            try x.device.unaryBackward(op, x.buffer, gradOut: g.buffer, gradIn: gradIn.buffer, count: x.count)
            return [gradIn]
        }
    }

    /// op(self) written over self's own buffer when no gradient is recorded for it (inference),
    /// else `apply(op)`. Only for a temporary nothing else holds (a layer's fresh output): it saves
    /// one activation of memory, and the U-Net's GroupNorm→SiLU at 28×28 is the sampler's peak.
    public func applyingInPlace(_ op: UnaryOp) throws -> Tensor {
        guard !(GradMode.isEnabled && requiresGrad) else { return try apply(op) }
        try requireFloat(op.name)
        try device.unary(op, buffer, buffer, count: count)
        return self
    }

    public func neg() throws -> Tensor { try apply(.neg) }
    public func abs() throws -> Tensor { try apply(.abs) }
    public func exp() throws -> Tensor { try apply(.exp) }
    public func log() throws -> Tensor { try apply(.log) }
    public func sqrt() throws -> Tensor { try apply(.sqrt) }
    public func rsqrt() throws -> Tensor { try apply(.rsqrt) }
    public func square() throws -> Tensor { try apply(.square) }
    public func tanh() throws -> Tensor { try apply(.tanh) }
    public func sigmoid() throws -> Tensor { try apply(.sigmoid) }
    public func relu() throws -> Tensor { try apply(.relu) }
    public func silu() throws -> Tensor { try apply(.silu) }
    public func gelu() throws -> Tensor { try apply(.gelu) }

    /// op(self, other) with NumPy broadcasting.
    public func apply(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        try requireFloat(op.name)
        try other.requireFloat(op.name)
        try requireSameDevice(other, op.name)
        guard let layout = BroadcastLayout(shapes: [shape, other.shape]) else {
            throw ComputeError.shapeMismatch("\(op.name): cannot broadcast \(shape) with \(other.shape)")
        }
        let out = try Tensor.empty(Tensor.broadcastShape(shape, other.shape), on: device)
        try device.binary(op, buffer, other.buffer, out.buffer, layout: layout)
        let (a, b) = (self, other)
        return Tensor.record(out, op.name, [a, b]) { g in
            let (ga, gb) = try binaryGradients(op, a, b, out: out, g)
            return [try ga?.reducedToShape(a.shape), try gb?.reducedToShape(b.shape)]
        }
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.apply(.add, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.apply(.sub, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.apply(.mul, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.apply(.div, b) }
    public func pow(_ exponent: Tensor) throws -> Tensor { try apply(.pow, exponent) }

    /// scale·self + shift.
    public func affine(scale: Float, shift: Float = 0) throws -> Tensor {
        try requireFloat("affine")
        let out = try Tensor.empty(shape, on: device)
        try device.affine(buffer, out.buffer, count: count, scale: scale, shift: shift)
        return Tensor.record(out, "affine", [self]) { g in [try g.affine(scale: scale)] }
    }

    public static func * (a: Tensor, s: Float) throws -> Tensor { try a.affine(scale: s) }
    public static func + (a: Tensor, s: Float) throws -> Tensor { try a.affine(scale: 1, shift: s) }

    public func clamped(_ lower: Float, _ upper: Float) throws -> Tensor {
        try requireFloat("clamp")
        let out = try Tensor.empty(shape, on: device)
        try device.clamp(buffer, out.buffer, count: count, lower: lower, upper: upper)
        let x = self
        return Tensor.record(out, "clamp", [x]) { g in
            // Gradient passes where the input was inside [lower, upper].
            let inside = try x.apply(.greaterEqual, Tensor.full([], value: lower, on: x.device))
                .apply(.mul, x.apply(.lessEqual, Tensor.full([], value: upper, on: x.device)))
            return [try g * inside]
        }
    }

    /// alpha·x + beta·y for same-shaped tensors.
    public static func axpby(_ alpha: Float, _ x: Tensor, _ beta: Float, _ y: Tensor) throws -> Tensor {
        try x.requireFloat("axpby")
        try x.requireSameDevice(y, "axpby")
        guard x.shape == y.shape else { throw ComputeError.shapeMismatch("axpby of \(x.shape) and \(y.shape)") }
        let out = try Tensor.empty(x.shape, on: x.device)
        try x.device.axpby(alpha: alpha, x.buffer, beta: beta, y.buffer, out.buffer, count: x.count)
        return record(out, "axpby", [x, y]) { g in [try g.affine(scale: alpha), try g.affine(scale: beta)] }
    }

    /// condition != 0 ? a : b, all three broadcast together.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        for t in [condition, a, b] {
            try t.requireFloat("where")
            try a.requireSameDevice(t, "where")
        }
        guard let layout = BroadcastLayout(shapes: [condition.shape, a.shape, b.shape]) else {
            throw ComputeError.shapeMismatch("where: cannot broadcast \(condition.shape), \(a.shape), \(b.shape)")
        }
        let shape = broadcastShape(broadcastShape(condition.shape, a.shape), b.shape)
        let out = try Tensor.empty(shape, on: a.device)
        try a.device.select(condition.buffer, a.buffer, b.buffer, out.buffer, layout: layout)
        return record(out, "where", [condition, a, b]) { g in
            let zero = try Tensor.zeros([], on: g.device)
            return [
                nil, try select(condition, g, zero).reducedToShape(a.shape),
                try select(condition, zero, g).reducedToShape(b.shape),
            ]
        }
    }

    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        return zip(pa, pb).map { $0 == 1 ? $1 : $0 }
    }

    // MARK: reductions

    /// Reduces along `axis` (nil: the whole tensor). The axis is removed unless `keepDims`.
    public func reduce(_ op: ReduceOp, axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        try requireFloat(op.name)
        let (outer, length, inner): (Int, Int, Int)
        // The result with the reduced axes kept as 1, so it broadcasts against the input.
        var keptShape = shape.map { _ in 1 }
        var droppedShape: [Int] = []
        if let axis {
            let a = try self.axis(axis, op.name)
            droppedShape = shape
            droppedShape.remove(at: a)
            outer = shape[..<a].reduce(1, *)
            length = shape[a]
            inner = shape[(a + 1)...].reduce(1, *)
            keptShape = shape
            keptShape[a] = 1
        } else {
            (outer, length, inner) = (1, count, 1)
        }
        let outShape = keepDims ? keptShape : droppedShape
        guard length > 0 || !(op == .max || op == .min || op.producesIndices) else {
            throw ComputeError.invalidArgument("\(op.name) over an empty axis")
        }
        let out = try Tensor.empty(outShape, dtype: op.producesIndices ? .int32 : .float32, on: device)
        try device.reduce(op, buffer, out.buffer, outer: outer, length: length, inner: inner)
        guard !op.producesIndices else { return out }
        let x = self
        return Tensor.record(out, op.name, [x]) { [keptShape] g in
            let gk = try g.reshaped(keptShape)
            switch op {
            case .sum: return [try gk.expanded(to: x.shape)]
            case .mean: return [try gk.expanded(to: x.shape).affine(scale: 1 / Float(Swift.max(length, 1)))]
            case .max, .min:
                // Every element equal to the extreme value receives the gradient.
                let mask = try x.apply(.equal, out.reshaped(keptShape))
                return [try mask * gk]
            case .logsumexp:
                return [try (x - out.reshaped(keptShape)).exp() * gk]
            case .variance:
                let centered = try x - x.mean(axis: axis, keepDims: true)
                return [try centered * gk.affine(scale: 2 / Float(Swift.max(length, 1)))]
            case .argmax, .argmin: return [nil]
            }
        }
    }

    public func sum(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor { try reduce(.sum, axis: axis, keepDims: keepDims) }
    public func mean(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor { try reduce(.mean, axis: axis, keepDims: keepDims) }
    public func max(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor { try reduce(.max, axis: axis, keepDims: keepDims) }
    public func min(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor { try reduce(.min, axis: axis, keepDims: keepDims) }
    public func argmax(axis: Int? = nil) throws -> Tensor { try reduce(.argmax, axis: axis) }
    public func argmin(axis: Int? = nil) throws -> Tensor { try reduce(.argmin, axis: axis) }
    public func logsumexp(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor { try reduce(.logsumexp, axis: axis, keepDims: keepDims) }
    public func variance(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor { try reduce(.variance, axis: axis, keepDims: keepDims) }

    /// Softmax over the last axis.
    public func softmax() throws -> Tensor { try softmaxLastAxis(log: false) }
    /// Log-softmax over the last axis.
    public func logSoftmax() throws -> Tensor { try softmaxLastAxis(log: true) }

    func softmaxLastAxis(log: Bool) throws -> Tensor {
        try requireFloat("softmax")
        guard let columns = shape.last, columns > 0 else { throw ComputeError.shapeMismatch("softmax of shape \(shape)") }
        let out = try Tensor.empty(shape, on: device)
        try device.softmax(buffer, out.buffer, rows: count / columns, columns: columns, log: log)
        let rows = count / columns
        return Tensor.record(out, log ? "log_softmax" : "softmax", [self]) { g in
            let gradIn = try Tensor.empty(out.shape, on: out.device)
            try out.device.softmaxBackward(
                out.buffer, gradOut: g.buffer, gradIn: gradIn.buffer,
                rows: rows, columns: columns, log: log)
            return [gradIn]
        }
    }
}

/// Gradients of a binary op before reduction to the operand shapes (nil: no gradient).
func binaryGradients(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, out: Tensor, _ g: Tensor) throws -> (Tensor?, Tensor?) {
    switch op {
    case .add: return (g, g)
    case .sub: return (g, try g.neg())
    case .mul: return (try g * b, try g * a)
    case .div: return (try g / b, try (g * out / b).neg())
    case .pow:
        // d/da a^b = b·a^(b−1) = b·out/a; d/db a^b = out·ln a.
        return (try g * b * out / a, try g * out * a.log())
    case .maximum, .minimum:
        let pickA = try a.apply(op == .maximum ? .greaterEqual : .lessEqual, b)
        return (try g * pickA, try g * pickA.affine(scale: -1, shift: 1))
    case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return (nil, nil)
    }
}
