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
        var indices = [[Int]](repeating: [], count: shapes.count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            for (k, s) in padded.enumerated() {
                var flat = 0
                for d in 0..<rank { flat = flat * s[d] + (s[d] == 1 ? 0 : index[d]) }
                indices[k].append(flat)
            }
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < out[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return (out, indices)
    }

    /// Values on a coarse grid (multiples of 1/4 in [low, high)), so that comparisons meet ties.
    static func quantized(_ g: inout ParityInputs, _ count: Int, low: Float = -2, high: Float = 2) -> [Float] {
        g.floats(count, low: low, high: high).map { ($0 * 4).rounded(.down) / 4 }
    }

    /// `count` distinct values in [low, high) in random order (no ties for argmax/argmin).
    static func distinct(_ g: inout ParityInputs, _ count: Int, low: Float = -2, high: Float = 2) -> [Float] {
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        let step = (high - low) / Float(max(count, 1))
        return order.map { low + Float($0) * step }
    }

    /// A new buffer of `count` Float32 elements on `device`.
    static func buffer(_ device: any Device, _ count: Int) throws -> any DeviceBuffer {
        try device.makeBuffer(byteCount: max(1, count) * 4)
    }

    static func doubles(_ values: [Float]) -> [Double] { values.map(Double.init) }
}
