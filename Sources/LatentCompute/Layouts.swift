/// The most dimensions a strided kernel indexes; layouts collapse mergeable dimensions first.
public let maxKernelRank = 8

/// Element strides for a contiguous row-major shape.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[d] = running
        running *= shape[d]
    }
    return strides
}

/// An output shape and, per operand, the element strides used to read it (0 on broadcast axes).
/// The output itself is contiguous. Adjacent axes that are contiguous for every operand are merged,
/// so kernels see at most `maxKernelRank` axes.
public struct BroadcastLayout: Sendable, Equatable {
    public let shape: [Int]
    public let operandStrides: [[Int]]

    public var count: Int { shape.reduce(1, *) }

    /// NumPy broadcasting of the operand shapes; nil when they are incompatible.
    public init?(shapes: [[Int]]) {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let padded = [Int](repeating: 1, count: rank - shape.count) + shape
            for d in 0..<rank where padded[d] != 1 {
                if out[d] == 1 { out[d] = padded[d] } else if out[d] != padded[d] { return nil }
            }
        }
        let strides = shapes.map { shape -> [Int] in
            let padded = [Int](repeating: 1, count: rank - shape.count) + shape
            return zip(padded, contiguousStrides(padded)).map { $0.0 == 1 ? 0 : $0.1 }
        }
        self.init(collapsing: out, strides: strides)
    }

    /// Builds a layout from explicit strides, merging axes where that changes nothing.
    public init(collapsing shape: [Int], strides: [[Int]]) {
        var mergedShape: [Int] = []
        var mergedStrides = [[Int]](repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = mergedShape.indices.last,
                strides.indices.allSatisfy({ strides[$0][d] * shape[d] == mergedStrides[$0][last] })
            {
                mergedShape[last] *= shape[d]
                for k in strides.indices { mergedStrides[k][last] = strides[k][d] }
            } else {
                mergedShape.append(shape[d])
                for k in strides.indices { mergedStrides[k].append(strides[k][d]) }
            }
        }
        self.shape = mergedShape
        self.operandStrides = mergedStrides
    }

    /// True when every operand is read contiguously with the output's own indexing.
    public var isElementwise: Bool {
        operandStrides.allSatisfy { $0 == contiguousStrides(shape) }
    }
}

/// A strided copy: for every index tuple of `shape`,
/// out[outOffset + Σ i·outStrides] = x[xOffset + Σ i·xStrides].
public struct StridedCopyLayout: Sendable, Equatable {
    public var shape: [Int]
    public var xStrides: [Int]
    public var xOffset: Int
    public var outStrides: [Int]
    public var outOffset: Int

    public init(shape: [Int], xStrides: [Int], xOffset: Int = 0, outStrides: [Int], outOffset: Int = 0) {
        let merged = BroadcastLayout(collapsing: shape, strides: [xStrides, outStrides])
        self.shape = merged.shape
        self.xStrides = merged.operandStrides[0]
        self.outStrides = merged.operandStrides[1]
        self.xOffset = xOffset
        self.outOffset = outOffset
    }

    public var count: Int { shape.reduce(1, *) }
}

/// Sizes of a (batched) row-major matrix product C = alpha·op(A)·op(B) + beta·C.
/// op(A) is m×k (A is stored k×m when transposeA), op(B) is k×n (B stored n×k when transposeB).
public struct GemmShape: Sendable, Equatable, CustomStringConvertible {
    public var batch: Int
    public var m: Int
    public var n: Int
    public var k: Int
    public var transposeA: Bool
    public var transposeB: Bool
    public var alpha: Float
    public var beta: Float
    /// Element distance between consecutive batch matrices; 0 reuses one matrix for every batch.
    public var strideA: Int
    public var strideB: Int
    public var strideC: Int

    public init(
        batch: Int = 1, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, strideA: Int? = nil, strideB: Int? = nil, strideC: Int? = nil
    ) {
        self.batch = batch
        self.m = m
        self.n = n
        self.k = k
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.alpha = alpha
        self.beta = beta
        self.strideA = strideA ?? m * k
        self.strideB = strideB ?? k * n
        self.strideC = strideC ?? m * n
    }

    public var flops: Double { 2 * Double(batch) * Double(m) * Double(n) * Double(k) }
    public var description: String {
        "\(batch > 1 ? "\(batch)x" : "")\(m)x\(n)x\(k)\(transposeA ? " tA" : "")\(transposeB ? " tB" : "")"
    }
}
