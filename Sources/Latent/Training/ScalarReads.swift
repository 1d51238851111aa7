import LatentCompute

extension Tensor {
    /// The values of several one-element tensors in one host read: they are gathered into one
    /// device vector first, so a training step waits for the device once, not once per scalar.
    public static func readScalars(_ scalars: [Tensor]) throws -> [Float] {
        guard let first = scalars.first else { return [] }
        guard scalars.allSatisfy({ $0.count == 1 }) else {
            throw ComputeError.shapeMismatch("readScalars of \(scalars.map(\.shape)): every tensor must hold one value")
        }
        if scalars.count == 1 { return try first.toArray() }
        return try withoutGrad { try Tensor.concat(scalars.map { try $0.reshaped([1]) }, axis: 0).toArray() }
    }
}
