/// Small helpers shared by the copy, elementwise, reduce and random parity registrations.
enum ParityCaseKit {
    /// "17x1x127 · 3x1" style text for a list of shapes ("[]" for rank 0).
    static func text(_ shapes: [[Int]]) -> String {
        shapes.map { $0.isEmpty ? "[]" : $0.map(String.init).joined(separator: "x") }.joined(separator: " · ")
    }

    /// Naive NumPy broadcasting: the output shape and, for every output element in row-major
    /// order, the flat index read from each operand. Independent of `BroadcastLayout`.
    static func broadcast(_ shapes: [[Int]]) -> (shape: [Int], indices: [[Int]]) {
        let rank = shapes.map(\.count).max() ?? 0
        let padded = shapes.map { [Int](repeating: 1, count: rank - $0.count) + $0 }
        var out = [Int](repeating: 1, count: rank)
        for s in padded { for d in 0..<rank where s[d] != 1 { out[d] = s[d] } }
        let count = out.reduce(1, *)
        // Each operand's own row-major strides, 0 where it has extent 1.
        let strides = padded.map { s in zip(s, contiguousStrides(s)).map { $0.0 == 1 ? 0 : $0.1 } }
        let indices = strides.map { st in
            [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
                var index = [Int](repeating: 0, count: rank)
                var flat = 0
                for e in 0..<count {
                    buffer[e] = flat
                    var d = rank - 1
                    while d >= 0 {
                        index[d] += 1
                        flat += st[d]
                        if index[d] < out[d] { break }
                        flat -= out[d] * st[d]
                        index[d] = 0
                        d -= 1
                    }
                }
                initialized = count
            }
        }
        return (out, indices)
    }

    /// `count` values uniform in [low, high) on a 2⁻²⁴ grid: a xorshift stream seeded from `g`
    /// (the same generator as `ParityInputs`, inlined because million-element inputs are built
    /// several times per case and debug builds run the parity registry in CI).
    static func floats(_ g: inout ParityInputs, _ count: Int, low: Float = -1, high: Float = 1) -> [Float] {
        var state = g.next() | 1
        let scale = (high - low) / 16_777_216
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                buffer[i] = low + scale * Float(state >> 40)
            }
            initialized = count
        }
    }

    /// Values on a coarse grid (multiples of 1/4 in [low, high)), so that comparisons meet ties.
    static func quantized(_ g: inout ParityInputs, _ count: Int, low: Float = -2, high: Float = 2) -> [Float] {
        floats(&g, count, low: low, high: high).map { ($0 * 4).rounded(.down) / 4 }
    }

    /// `count` distinct values in [low, high) in scrambled order (no ties for argmax/argmin):
    /// grid point (i·p + shift) mod count for element i, p a prime that does not divide count.
    static func distinct(_ g: inout ParityInputs, _ count: Int, low: Float = -2, high: Float = 2) -> [Float] {
        let p = count % 1_000_000_007 == 0 ? 998_244_353 : 1_000_000_007
        let shift = Int(g.next() % UInt64(max(count, 1)))
        let step = (high - low) / Float(max(count, 1))
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = low + Float((i * p + shift) % count) * step }
            initialized = count
        }
    }

    /// A new buffer of `count` Float32 elements on `device`.
    static func buffer(_ device: any Device, _ count: Int) throws -> any DeviceBuffer {
        try device.makeBuffer(byteCount: max(1, count) * 4)
    }

    static func doubles(_ values: [Float]) -> [Double] { values.map(Double.init) }
}
