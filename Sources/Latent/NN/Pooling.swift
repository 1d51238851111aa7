import LatentCompute

/// Average pooling over non-overlapping k×k windows (PyTorch's `nn.AvgPool2d(k)`); no parameters.
public final class AvgPool2d: Module, UnaryLayer {
    public let kernelSize: Int

    public init(_ kernelSize: Int) { self.kernelSize = kernelSize }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.avgPool2d(kernelSize) }
}
