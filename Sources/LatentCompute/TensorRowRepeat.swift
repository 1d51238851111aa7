extension Tensor {
    /// Row `row` of a matrix [R, D] repeated `count` times: [count, D] in one strided copy (a
    /// table lookup for a batch that shares one index, with no index upload).
    public func repeatingRow(_ row: Int, count: Int) throws -> Tensor {
        guard rank == 2, (0..<shape[0]).contains(row), count >= 1 else {
            throw ComputeError.invalidArgument("repeatingRow(\(row), count: \(count)) of \(shape)")
        }
        guard !Tensor.records([self]) else { return try slice(axis: 0, row..<(row + 1)).expanded(to: [count, shape[1]]) }
        let d = shape[1]
        let out = try Tensor.empty([count, d], dtype: dtype, on: device)
        try device.copyStrided(
            buffer, out.buffer, layout: StridedCopyLayout(shape: [count, d], xStrides: [0, 1], xOffset: row * d, outStrides: [d, 1]))
        return out
    }
}
