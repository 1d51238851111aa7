// The gemm family's parity registration: every case under the CPU-shaped and the GPU-shaped
// (local-memory tiled) OpenCL kernels, so the GPU kernel is checked on PoCL too. The largest
// products skip the tiled kernel, which is slow on CPU devices.

extension KernelRegistry {
    public static var gemmKernels: [KernelSpec] {
        [
            KernelSpec(
                .sgemm, tolerance: 1e-10, deviceShaped: true,
                benchmarks: { quick in (quick ? [256, 1024] : [256, 1024, 2048]).map(sgemmBenchmark) },
                cases: GemmParityCase.all.map { $0.kernelCase })
        ]
    }

    static func sgemmBenchmark(_ size: Int) -> BenchmarkCase {
        let shape = GemmShape(m: size, n: size, k: size)
        return BenchmarkCase(op: "sgemm", shape: "\(size)x\(size)x\(size)", flops: shape.flops) { device in
            let a = try Tensor.randomNormal([size, size], seed: 1, on: device)
            let b = try Tensor.randomNormal([size, size], seed: 2, on: device)
            let c = try Tensor.empty([size, size], on: device)
            return { try device.gemm(a.buffer, b.buffer, c.buffer, shape: shape) }
        }
    }
}

/// One gemm configuration with its deterministic inputs.
struct GemmParityCase: Sendable {
    var shape: GemmShape
    /// Fill C with NaN before the product (only meaningful with beta = 0, which must ignore it).
    var nanC = false
    var seed: UInt64

    var m: Int { shape.m }
    var n: Int { shape.n }
    var k: Int { shape.k }

    static var all: [GemmParityCase] {
        var cases: [GemmParityCase] = []
        func add(_ shape: GemmShape, nanC: Bool = false) {
            cases.append(GemmParityCase(shape: shape, nanC: nanC, seed: UInt64(cases.count + 1) &* 7919))
        }
        add(GemmShape(m: 1, n: 1, k: 1))
        add(GemmShape(m: 3, n: 17, k: 127))
        add(GemmShape(m: 127, n: 3, k: 17))
        add(GemmShape(m: 17, n: 127, k: 3, transposeA: true))
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                add(GemmShape(m: 33, n: 65, k: 31, transposeA: transposeA, transposeB: transposeB))
            }
        }
        add(GemmShape(m: 1021, n: 3, k: 17))
        add(GemmShape(m: 5, n: 1021, k: 13, transposeB: true))
        add(GemmShape(m: 37, n: 41, k: 29, transposeA: true, alpha: 0.5, beta: -1.25))
        add(GemmShape(m: 20, n: 24, k: 20, transposeB: true, alpha: 2, beta: 0), nanC: true)
        add(GemmShape(m: 50, n: 70, k: 1))
        add(GemmShape(m: 6, n: 16, k: 0, beta: 0.5))
        add(GemmShape(m: 7, n: 9, k: 0, beta: 0), nanC: true)
        add(GemmShape(m: 12, n: 32, k: 8, alpha: 0, beta: 2))
        // Batches: A broadcast (stride 0), B broadcast, and independent matrices with beta.
        add(GemmShape(batch: 3, m: 13, n: 19, k: 11, transposeB: true, strideA: 0))
        add(GemmShape(batch: 4, m: 9, n: 33, k: 17, transposeA: true, beta: 0.5, strideB: 0))
        add(GemmShape(batch: 2, m: 64, n: 48, k: 70, transposeA: true, transposeB: true, alpha: -1, beta: 1))
        // Exact multiples of every block size, and one large product.
        add(GemmShape(m: 96, n: 128, k: 64))
        add(GemmShape(m: 131, n: 257, k: 400, transposeA: true))
        add(GemmShape(m: 384, n: 320, k: 300))
        return cases
    }

    /// Number of elements each operand's buffer holds.
    var counts: (a: Int, b: Int, c: Int) {
        let s = shape
        return (
            (s.batch - 1) * s.strideA + s.m * s.k, (s.batch - 1) * s.strideB + s.k * s.n,
            (s.batch - 1) * s.strideC + s.m * s.n
        )
    }

    var inputs: (a: [Float], b: [Float], c: [Float]) {
        var random = ParityInputs(seed: seed)
        let (na, nb, nc) = counts
        let a = random.floats(na)
        let b = random.floats(nb)
        let c = nanC ? [Float](repeating: .nan, count: nc) : random.floats(nc)
        return (a, b, c)
    }

    var kernelCase: KernelCase {
        let s = shape
        var label = "\(s.description) alpha \(s.alpha) beta \(s.beta)"
        if s.batch > 1 { label += " strides \(s.strideA)/\(s.strideB)/\(s.strideC)" }
        if nanC { label += " C=NaN" }
        let this = self
        let large = m * n * k > 1 << 22
        return KernelCase(
            shape: label, onlyVariants: large ? [.cpuShaped] : nil,
            run: { device in
                let (a, b, c) = this.inputs
                let aBuffer = try device.upload(a), bBuffer = try device.upload(b), cBuffer = try device.upload(c)
                try device.gemm(aBuffer, bBuffer, cBuffer, shape: s)
                return [try device.download(cBuffer, count: c.count)]
            },
            reference: {
                let (a, b, c) = this.inputs
                return [GemmParityCase.reference(s, a, b, c)]
            })
    }

    /// Naive Float64 evaluation of the definition, batch after batch.
    static func reference(_ s: GemmShape, _ a: [Float], _ b: [Float], _ c: [Float]) -> [Double] {
        var out = c.map(Double.init)
        let a64 = a.map(Double.init), b64 = b.map(Double.init)
        a64.withUnsafeBufferPointer { a in
            b64.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { out in
                    var row = [Double](repeating: 0, count: s.n)
                    for z in 0..<s.batch {
                        let ao = z * s.strideA, bo = z * s.strideB, co = z * s.strideC
                        for i in 0..<s.m {
                            for j in 0..<s.n { row[j] = 0 }
                            for p in 0..<s.k {
                                let x = s.transposeA ? a[ao + p * s.m + i] : a[ao + i * s.k + p]
                                for j in 0..<s.n {
                                    row[j] += x * (s.transposeB ? b[bo + j * s.k + p] : b[bo + p * s.n + j])
                                }
                            }
                            for j in 0..<s.n {
                                let old = out[co + i * s.n + j]
                                out[co + i * s.n + j] = Double(s.alpha) * row[j] + (s.beta == 0 ? 0 : Double(s.beta) * old)
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
