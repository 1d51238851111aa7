/// Parity registration of `nearest_code` (outputs: indices as Double, distances), with a naive
/// Float64 reference. Inputs avoid near-ties so that the index comparison is meaningful: each x is
/// a random code plus noise of norm ≤ δ/4, δ the smallest distance between two codes, so its own
/// code wins by a margin of at least δ²/2 in squared distance.
extension KernelRegistry {
    public static var codebookKernels: [KernelSpec] {
        let shapes: [CodebookCase] = [
            CodebookCase(count: 1, codes: 1, dimension: 1),
            CodebookCase(count: 5, codes: 3, dimension: 1),
            CodebookCase(count: 37, codes: 3, dimension: 5),
            CodebookCase(count: 64, codes: 257, dimension: 1),
            CodebookCase(count: 19, codes: 17, dimension: 7),
            CodebookCase(count: 100, codes: 257, dimension: 64),
            CodebookCase(count: 2048, codes: 512, dimension: 32),
            // Past the fused OpenCL kernels' longest vector: the composed path, whose expanded
            // ‖x‖² − 2x·c + ‖c‖² rounds at 1e-9 NMSE against the direct sum (hence 1e-8; a wrong index
            // would be far above it).
            CodebookCase(count: 300, codes: 10, dimension: 784),
        ]
        return [
            KernelSpec(
                .nearestCode, tolerance: 1e-8, deviceShaped: true, benchmarks: codebookBenchmarks,
                cases: shapes.map { c in
                    KernelCase(
                        shape: c.description, referenceTolerance: 1e-9,
                        run: { device in try c.run(on: device) }, reference: { c.reference() })
                })
        ]
    }
}

/// One nearest-code configuration: N vectors, K codes, dimension D.
public struct CodebookCase: Sendable, CustomStringConvertible {
    public let count: Int, codes: Int, dimension: Int

    public init(count: Int, codes: Int, dimension: Int) {
        self.count = count
        self.codes = codes
        self.dimension = dimension
    }

    public var description: String { "N\(count) K\(codes) D\(dimension)" }

    /// x [N × D] and the codebook [K × D]. With D = 1 the codes are a shuffled grid (spacing 0.05),
    /// since random scalars would crowd together.
    public func inputs() -> (x: [Float], codebook: [Float]) {
        var g = ParityInputs(seed: UInt64(count * 7919 + codes * 104_729 + dimension))
        var book: [Float]
        if dimension == 1 {
            book = (0..<codes).map { Float($0) * 0.05 - Float(codes) * 0.025 }
            for i in stride(from: codes - 1, to: 0, by: -1) { book.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        } else {
            book = g.floats(codes * dimension)
        }
        var delta = Double.infinity
        for a in 0..<codes {
            for b in 0..<a {
                var t = 0.0
                for p in 0..<dimension {
                    let diff = Double(book[a * dimension + p]) - Double(book[b * dimension + p])
                    t += diff * diff
                }
                delta = min(delta, t.squareRoot())
            }
        }
        // Noise per coordinate below δ/(4√D) keeps its norm below δ/4.
        let amplitude = Float(min(0.1, delta / 4 / Double(dimension).squareRoot()))
        let owners = g.indices(count, below: codes)
        let noise = g.floats(count * dimension, low: -amplitude, high: amplitude)
        var x = [Float](repeating: 0, count: count * dimension)
        for i in 0..<count {
            for p in 0..<dimension { x[i * dimension + p] = book[Int(owners[i]) * dimension + p] + noise[i * dimension + p] }
        }
        return (x, book)
    }

    public func run(on device: any Device) throws -> [[Double]] {
        let input = inputs()
        let indices = try device.makeBuffer(byteCount: max(1, count) * 4)
        let distances = try device.makeBuffer(byteCount: max(1, count) * 4)
        try device.nearestCode(
            device.upload(input.x), codebook: device.upload(input.codebook), indices: indices,
            distances: distances, count: count, codes: codes, dimension: dimension)
        return [try device.downloadIndices(indices, count: count), try device.download(distances, count: count)]
    }

    /// Exhaustive Float64 search, lowest index on ties.
    public func reference() -> [[Double]] {
        let input = inputs()
        var indices = [Double](), distances = [Double]()
        for i in 0..<count {
            var best = Double.infinity, bestIndex = 0
            for c in 0..<codes {
                var t = 0.0
                for p in 0..<dimension {
                    let diff = Double(input.x[i * dimension + p]) - Double(input.codebook[c * dimension + p])
                    t += diff * diff
                }
                if t < best {
                    best = t
                    bestIndex = c
                }
            }
            indices.append(Double(bestIndex))
            distances.append(best)
        }
        return [indices, distances]
    }
}
