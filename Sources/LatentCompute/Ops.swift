/// Elementwise functions of one argument. Raw values are the kernel codes shared with the .cl files.
public enum UnaryOp: Int32, Sendable, CaseIterable {
    case neg = 0
    case abs, exp, log, sqrt, rsqrt, square, tanh, sigmoid, relu, silu
    /// Exact GELU, x·Φ(x) with erf (PyTorch's default).
    case gelu
    case sin, cos

    public var name: String { "\(self)" }
}

/// Elementwise functions of two arguments. Comparisons give 1 or 0.
public enum BinaryOp: Int32, Sendable, CaseIterable {
    case add = 0
    case sub, mul, div, pow, maximum, minimum
    case equal, notEqual, less, lessEqual, greater, greaterEqual

    public var name: String { "\(self)" }
}

/// Reductions along one axis.
public enum ReduceOp: Int32, Sendable, CaseIterable {
    case sum = 0
    case mean, max, min, argmax, argmin, logsumexp, variance

    public var name: String { "\(self)" }
    /// argmax and argmin write Int32 indices.
    public var producesIndices: Bool { self == .argmax || self == .argmin }
}
