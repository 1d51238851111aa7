/// Products that add a bias and a residual in the same kernel (`gemmEpilogue`, `conv2dEpilogue`).
/// The result is residual + (product + bias), bit for bit what the two separate adds give; while
/// gradients are recorded they are those adds.
extension Tensor {
    /// residual + (self·other + bias), `bias` and `residual` broadcast (NumPy rules) to the
    /// product's shape [batch…, m, n]: a linear layer's bias is [n], a 1×1 convolution's [m, 1].
    public func matmul(
        _ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false, bias: Tensor?,
        residual: Tensor? = nil
    ) throws -> Tensor {
        let (outShape, gemmShape) = try productPlan(other, transposeSelf: transposeSelf, transposeOther: transposeOther)
        let r = outShape.count
        let batchAxes = Array(0..<(r - 2))
        if !Tensor.records([self, other, bias, residual]),
            let epilogue = Tensor.epilogue(
                bias: bias, residual: residual, over: outShape, groups: [batchAxes, [r - 2], [r - 1]], on: device)
        {
            let out = try Tensor.empty(outShape, on: device)
            try device.gemmEpilogue(buffer, other.buffer, out.buffer, shape: gemmShape, epilogue: epilogue)
            return out
        }
        let product = try matmul(other, transposeSelf: transposeSelf, transposeOther: transposeOther)
        let biased = try bias.map { try product + $0 } ?? product
        return try residual.map { try $0 + biased } ?? biased
    }

    /// True when gradients are recorded through any of `tensors`.
    static func records(_ tensors: [Tensor?]) -> Bool {
        GradMode.isEnabled && tensors.contains { $0?.requiresGrad ?? false }
    }

    /// The epilogue for `bias` and `residual` over a product of shape `shape` whose axes fall into
    /// three consecutive `groups` (batch, rows, columns); nil when there is nothing to add or an
    /// operand cannot be read with one stride per group (then the caller adds separately).
    static func epilogue(
        bias: Tensor?, residual: Tensor?, over shape: [Int], groups: [[Int]], on device: any Device
    ) -> GemmEpilogue? {
        guard bias != nil || residual != nil else { return nil }
        var epilogue = GemmEpilogue()
        for (tensor, isBias) in [(bias, true), (residual, false)] {
            guard let tensor else { continue }
            guard tensor.dtype == .float32, tensor.device === device,
                Tensor.broadcastShape(tensor.shape, shape) == shape,
                let strides = epilogueStrides(tensor.shape, over: shape, groups: groups)
            else { return nil }
            let operand = GemmEpilogue.Operand(tensor.buffer, batchStride: strides[0], rowStride: strides[1], columnStride: strides[2])
            if isBias { epilogue.bias = operand } else { epilogue.residual = operand }
        }
        return epilogue
    }

    /// One element stride per group of axes for a contiguous operand of `operand` shape broadcast
    /// to `shape`, or nil when a group mixes broadcast and stored axes or is not contiguous.
    static func epilogueStrides(_ operand: [Int], over shape: [Int], groups: [[Int]]) -> [Int]? {
        guard operand.count <= shape.count else { return nil }
        let padded = [Int](repeating: 1, count: shape.count - operand.count) + operand
        let stored = contiguousStrides(padded)
        var result: [Int] = []
        for group in groups {
            // Axes of extent 1 in the product are never stepped along.
            let axes = group.filter { shape[$0] != 1 }
            let strides = axes.map { padded[$0] == 1 ? 0 : stored[$0] }
            if strides.allSatisfy({ $0 == 0 }) {
                result.append(0)
                continue
            }
            guard !strides.contains(0) else { return nil }
            for (a, b) in zip(axes, axes.dropFirst()) where stored[a] != stored[b] * shape[b] { return nil }
            result.append(strides.last ?? 0)
        }
        return result
    }
}
