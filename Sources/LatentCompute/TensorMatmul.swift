extension Tensor {
    /// Matrix product over the last two axes, batched over leading axes (a 2-D operand is shared by
    /// every batch). transposeSelf / transposeOther use the transposed last two axes.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        let (outShape, gemmShape) = try productPlan(other, transposeSelf: transposeSelf, transposeOther: transposeOther)
        let out = try Tensor.empty(outShape, on: device)
        try device.gemm(buffer, other.buffer, out.buffer, shape: gemmShape)
        let (a, b, tA, tB) = (self, other, transposeSelf, transposeOther)
        return Tensor.record(out, "matmul", [a, b]) { g in
            // C = A′B′ with A′ = op(A), B′ = op(B): dA′ = g·B′ᵀ, dB′ = A′ᵀ·g, transposed back where needed.
            let gradA =
                tA
                ? try b.matmul(g, transposeSelf: tB, transposeOther: true)
                : try g.matmul(b, transposeOther: !tB)
            let gradB =
                tB
                ? try g.matmul(a, transposeSelf: true, transposeOther: tA)
                : try a.matmul(g, transposeSelf: !tA)
            return [try gradA.reducedToShape(a.shape), try gradB.reducedToShape(b.shape)]
        }
    }
}

extension Tensor {
    /// Uniform [0, 1) noise from Philox: element i is number offset + i of stream `seed`.
    public static func randomUniform(_ shape: [Int], seed: UInt64, offset: UInt64 = 0, on device: any Device) throws -> Tensor {
        let t = try empty(shape, on: device)
        try device.randomUniform(t.buffer, count: t.count, seed: seed, offset: offset)
        return t
    }

    /// Normal noise from Philox, bit-identical on every backend for the same (seed, offset).
    public static func randomNormal(
        _ shape: [Int], seed: UInt64, offset: UInt64 = 0, mean: Float = 0, std: Float = 1,
        on device: any Device
    ) throws -> Tensor {
        let t = try empty(shape, on: device)
        try device.randomNormal(t.buffer, count: t.count, seed: seed, offset: offset, mean: mean, std: std)
        return t
    }
}

extension Tensor {
    /// The shape of self·other (as `matmul` defines it) and its batched product.
    func productPlan(_ other: Tensor, transposeSelf: Bool, transposeOther: Bool) throws -> ([Int], GemmShape) {
        try requireFloat("matmul")
        try other.requireFloat("matmul")
        try requireSameDevice(other, "matmul")
        guard rank >= 2, other.rank >= 2 else {
            throw ComputeError.shapeMismatch("matmul needs rank >= 2 operands, got \(shape) and \(other.shape)")
        }
        let (r0, c0) = (shape[rank - 2], shape[rank - 1])
        let (r1, c1) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        let (m, k) = transposeSelf ? (c0, r0) : (r0, c0)
        let (k2, n) = transposeOther ? (c1, r1) : (r1, c1)
        guard k == k2 else {
            throw ComputeError.shapeMismatch(
                "matmul inner dimensions differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")
        }
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        let batchShape: [Int]
        if batchA.isEmpty {
            batchShape = batchB
        } else if batchB.isEmpty || batchA == batchB {
            batchShape = batchA
        } else {
            throw ComputeError.shapeMismatch("matmul batch dimensions differ: \(shape) and \(other.shape)")
        }
        let gemm = GemmShape(
            batch: batchShape.reduce(1, *), m: m, n: n, k: k, transposeA: transposeSelf, transposeB: transposeOther,
            strideA: batchA.isEmpty ? 0 : m * k, strideB: batchB.isEmpty ? 0 : k * n, strideC: m * n)
        return (batchShape + [m, n], gemm)
    }
}
