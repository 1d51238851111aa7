import LatentCompute
import Testing

/// Attention and nearest-codebook kernels beyond the parity registry: the attention gradients
/// against finite differences, and the codebook's tie and distance rules.
@Suite struct AttentionCodebookTests {
    /// Central differences of L = Σ out∘gradOut through the Float64 reference forward pass.
    static func finiteDifferences(_ c: AttentionCase) -> [[Double]] {
        let x = c.inputs()
        var operands = [x.q, x.k, x.v].map { $0.map(Double.init) }
        let mask = x.mask?.map(Double.init), gradOut = x.gradOut.map(Double.init)
        func loss(_ o: [[Double]]) -> Double {
            let out = AttentionReference.forward(q: o[0], k: o[1], v: o[2], mask: mask, shape: c.shape).out
            return zip(out, gradOut).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let h = 1e-6
        var gradients: [[Double]] = []
        for which in 0..<3 {
            var g = [Double](repeating: 0, count: operands[which].count)
            for i in g.indices {
                let saved = operands[which][i]
                operands[which][i] = saved + h
                let up = loss(operands)
                operands[which][i] = saved - h
                let down = loss(operands)
                operands[which][i] = saved
                g[i] = (up - down) / (2 * h)
            }
            gradients.append(g)
        }
        return gradients
    }

    @Test(arguments: [
        AttentionCase(batch: 2, queryLength: 3, keyLength: 4, dimension: 5, mask: .random),
        AttentionCase(batch: 1, queryLength: 4, keyLength: 6, dimension: 3, mask: .causal),
        AttentionCase(batch: 1, queryLength: 1, keyLength: 1, dimension: 1, mask: .none),
    ])
    func backwardMatchesFiniteDifferences(_ c: AttentionCase) throws {
        let numeric = Self.finiteDifferences(c)
        // The Float64 reference backward is exact up to the differencing error…
        let reference = c.referenceBackward()
        let referenceError = ParitySuite.compare(reference, numeric).nmse
        #expect(referenceError < 1e-12, "reference backward vs finite differences: nmse \(referenceError)")
        // …and the CPU kernel (Float32) matches it to single precision.
        let cpu = try c.runBackward(on: CPUDevice.shared)
        let cpuError = ParitySuite.compare(cpu, numeric).nmse
        #expect(cpuError < 1e-9, "CPU backward vs finite differences: nmse \(cpuError)")
    }

    /// Duplicate codes resolve to the lowest index; distances are ≥ 0 even when x equals a code.
    @Test func nearestCodeTiesAndExactMatches() throws {
        for device in [CPUDevice.shared as any Device, try DeviceSelection.resolve(.opencl)] {
            let dimension = 19, codes = 40
            var g = ParityInputs(seed: 5)
            var book = g.floats(codes * dimension, low: -3, high: 3)
            // Codes 7, 23 and 31 are the same vector.
            for p in 0..<dimension {
                book[23 * dimension + p] = book[7 * dimension + p]
                book[31 * dimension + p] = book[7 * dimension + p]
            }
            let x = Array(book[(7 * dimension)..<(8 * dimension)]) + Array(book[(2 * dimension)..<(3 * dimension)])
            let indices = try device.makeBuffer(byteCount: 8), distances = try device.makeBuffer(byteCount: 8)
            try device.nearestCode(
                device.upload(x), codebook: device.upload(book), indices: indices,
                distances: distances, count: 2, codes: codes, dimension: dimension)
            #expect(try device.downloadIndices(indices, count: 2) == [7, 2], "\(device.name)")
            #expect(try device.download(distances, count: 2) == [0, 0], "\(device.name)")
        }
    }
}
