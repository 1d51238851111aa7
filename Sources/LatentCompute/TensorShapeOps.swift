/// Operations that move data without arithmetic: permute, slice, concat, expand, gather, scatter-add.
extension Tensor {
    /// The tensor with its axes reordered: result axis i is self's axis `axes[i]`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw ComputeError.invalidArgument("permutation \(axes) for a rank-\(rank) tensor")
        }
        let strides = contiguousStrides(shape)
        let outShape = axes.map { shape[$0] }
        let out = try Tensor.empty(outShape, dtype: dtype, on: device)
        let layout = StridedCopyLayout(
            shape: outShape, xStrides: axes.map { strides[$0] },
            outStrides: contiguousStrides(outShape))
        try device.copyStrided(buffer, out.buffer, layout: layout)
        var inverse = axes
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record(out, "permute", [self]) { [inverse] g in [try g.permuted(inverse)] }
    }

    /// Swaps two axes (default: the last two).
    public func transposed(_ a: Int = -2, _ b: Int = -1) throws -> Tensor {
        let (i, j) = (try axis(a, "transpose"), try axis(b, "transpose"))
        var axes = Array(0..<rank)
        axes.swapAt(i, j)
        return try permuted(axes)
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let a = try self.axis(axis, "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw ComputeError.indexOutOfRange("slice \(range) of axis \(a) with size \(shape[a])")
        }
        var outShape = shape
        outShape[a] = range.count
        let strides = contiguousStrides(shape)
        let out = try Tensor.empty(outShape, dtype: dtype, on: device)
        try device.copyStrided(
            buffer, out.buffer,
            layout: StridedCopyLayout(
                shape: outShape, xStrides: strides, xOffset: range.lowerBound * strides[a],
                outStrides: contiguousStrides(outShape)))
        let inputShape = shape
        return Tensor.record(out, "slice", [self]) { g in
            // The gradient is g placed in a zero tensor at the sliced window.
            let full = try Tensor.zeros(inputShape, on: g.device)
            try g.device.copyStrided(
                g.buffer, full.buffer,
                layout: StridedCopyLayout(
                    shape: g.shape, xStrides: contiguousStrides(g.shape),
                    outStrides: strides, outOffset: range.lowerBound * strides[a]))
            return [full]
        }
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first else { throw ComputeError.invalidArgument("concat of no tensors") }
        let a = try first.axis(axis, "concat")
        for p in parts {
            try first.requireSameDevice(p, "concat")
            guard p.rank == first.rank, p.dtype == first.dtype,
                p.shape.enumerated().allSatisfy({ $0.offset == a || $0.element == first.shape[$0.offset] })
            else {
                throw ComputeError.shapeMismatch("concat along axis \(a) of \(parts.map(\.shape))")
            }
        }
        var outShape = first.shape
        outShape[a] = parts.map { $0.shape[a] }.reduce(0, +)
        let out = try Tensor.empty(outShape, dtype: first.dtype, on: first.device)
        let outStrides = contiguousStrides(outShape)
        var position = 0
        for p in parts {
            try first.device.copyStrided(
                p.buffer, out.buffer,
                layout: StridedCopyLayout(
                    shape: p.shape, xStrides: contiguousStrides(p.shape),
                    outStrides: outStrides, outOffset: position * outStrides[a]))
            position += p.shape[a]
        }
        return record(out, "concat", parts) { g in
            var start = 0
            return try parts.map { p in
                defer { start += p.shape[a] }
                return try g.slice(axis: a, start..<(start + p.shape[a]))
            }
        }
    }

    /// Broadcasts to a larger shape (NumPy rules), materialising the copies.
    public func expanded(to target: [Int]) throws -> Tensor {
        guard BroadcastLayout(shapes: [shape, target]) != nil, Tensor.broadcastShape(shape, target) == target else {
            throw ComputeError.shapeMismatch("cannot expand \(shape) to \(target)")
        }
        let padded = [Int](repeating: 1, count: target.count - rank) + shape
        let strides = zip(padded, contiguousStrides(padded)).map { $0.0 == 1 ? 0 : $0.1 }
        let out = try Tensor.empty(target, dtype: dtype, on: device)
        try device.copyStrided(
            buffer, out.buffer,
            layout: StridedCopyLayout(
                shape: target, xStrides: strides, outStrides: contiguousStrides(target)))
        let inputShape = shape
        return Tensor.record(out, "expand", [self]) { g in [try g.reducedToShape(inputShape)] }
    }

    /// Rows of self (viewed as [rows, rest...]) picked by Int32 `indices`: shape indices.shape + rest.
    public func gather(_ indices: Tensor) throws -> Tensor {
        guard indices.dtype == .int32 else { throw ComputeError.dtypeMismatch("gather indices must be int32") }
        try requireSameDevice(indices, "gather")
        guard rank >= 1 else { throw ComputeError.shapeMismatch("gather from a scalar") }
        let rowLength = shape.dropFirst().reduce(1, *)
        let out = try Tensor.empty(indices.shape + shape.dropFirst(), dtype: dtype, on: device)
        try device.gather(
            buffer, indices: indices.buffer, out.buffer, indexCount: indices.count,
            rowLength: rowLength, tableRows: shape[0])
        let table = self
        return Tensor.record(out, "gather", [table, indices]) { g in
            [try g.reshaped([indices.count] + table.shape.dropFirst()).scatterAdd(indices, rows: table.shape[0]), nil]
        }
    }

    /// A tensor of `rows` rows (zeros) into which row i of self is added at row indices[i].
    public func scatterAdd(_ indices: Tensor, rows: Int) throws -> Tensor {
        guard indices.dtype == .int32 else { throw ComputeError.dtypeMismatch("scatterAdd indices must be int32") }
        try requireFloat("scatterAdd")
        try requireSameDevice(indices, "scatterAdd")
        guard rank >= 1, shape[0] == indices.count else {
            throw ComputeError.shapeMismatch("scatterAdd of \(shape) with \(indices.count) indices")
        }
        let rest = Array(shape.dropFirst())
        let out = try Tensor.zeros([rows] + rest, on: device)
        try device.scatterAdd(
            buffer, indices: indices.buffer, out.buffer, indexCount: indices.count,
            rowLength: rest.reduce(1, *), outRows: rows)
        return Tensor.record(out, "scatter_add", [self, indices]) { g in [try g.gather(indices), nil] }
    }
}
