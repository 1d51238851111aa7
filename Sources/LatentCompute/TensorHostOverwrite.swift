extension Tensor {
    /// Overwrites this float32 leaf tensor's elements with host values, in place (data-parallel
    /// training broadcasts rank 0's weights into every rank's existing tensors this way).
    public func overwrite(with values: [Float]) throws {
        guard dtype == .float32 else { throw ComputeError.dtypeMismatch("overwrite(with:) on a \(dtype) tensor") }
        guard gradFunction == nil else {
            throw ComputeError.invalidArgument("overwrite(with:) of a recorded intermediate result \(shape)")
        }
        guard values.count == count else {
            throw ComputeError.shapeMismatch("overwrite of \(values.count) values into a tensor of shape \(shape)")
        }
        try values.withUnsafeBytes { try device.write($0, to: buffer, byteOffset: 0) }
    }
}
