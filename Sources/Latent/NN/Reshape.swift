import LatentCompute

/// Flattens every axis after the first: [N, d1, d2, ...] → [N, d1·d2·...] (PyTorch's `nn.Flatten()`).
/// No parameters; it only takes a Sequential index, so the following layers keep PyTorch's names.
public final class Flatten: Module, UnaryLayer {
    public override init() {}

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw ComputeError.shapeMismatch("Flatten of a scalar") }
        return try x.reshaped([x.shape[0], x.shape.dropFirst().reduce(1, *)])
    }
}

/// Splits the second axis: [N, d1·d2·...] → [N, d1, d2, ...] (PyTorch's `nn.Unflatten(1, shape)`).
public final class Unflatten: Module, UnaryLayer {
    public let shape: [Int]

    public init(_ shape: [Int]) { self.shape = shape }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2, x.shape[1] == shape.reduce(1, *) else {
            throw ComputeError.shapeMismatch("Unflatten(\(shape)) of \(x.shape)")
        }
        return try x.reshaped([x.shape[0]] + shape)
    }
}
