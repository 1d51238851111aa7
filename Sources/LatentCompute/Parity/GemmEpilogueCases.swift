/// Parity registrations of the products with an epilogue: `gemmEpilogue` on the gemm family's
/// awkward shapes with every kind of bias and residual broadcast, and `conv2dEpilogue` on a few
/// convolutions with a channel bias, a per-image channel addend and a residual. References: the
/// Float64 product or convolution, then residual + (value + bias).
extension KernelRegistry {
    public static var gemmEpilogueKernels: [KernelSpec] {
        [
            KernelSpec(
                .gemmEpilogue, tolerance: 1e-10, deviceShaped: true,
                benchmarks: { _ in [gemmEpilogueBenchmark] },
                cases: EpilogueParityCase.gemmCases.map(\.gemmKernelCase)),
            KernelSpec(
                .conv2dEpilogue, tolerance: 1e-10, deviceShaped: true,
                cases: EpilogueParityCase.convCases.map(\.convKernelCase)),
        ]
    }

    /// A U-Net 3×3 convolution's product at batch 8 with its bias and residual (28×28, 32 channels).
    static var gemmEpilogueBenchmark: BenchmarkCase {
        let shape = GemmShape(batch: 8, m: 32, n: 784, k: 288, strideA: 0)
        return BenchmarkCase(op: "gemm_epilogue", shape: "8x32x784x288", flops: shape.flops) { device in
            let a = try Tensor.randomNormal([32, 288], seed: 1, on: device)
            let b = try Tensor.randomNormal([8, 288, 784], seed: 2, on: device)
            let bias = try Tensor.randomNormal([32], seed: 3, on: device)
            let residual = try Tensor.randomNormal([8, 32, 784], seed: 4, on: device)
            let c = try Tensor.empty([8, 32, 784], on: device)
            let epilogue = GemmEpilogue(
                bias: .init(bias.buffer, batchStride: 0, rowStride: 1, columnStride: 0),
                residual: .init(residual.buffer, batchStride: 32 * 784, rowStride: 784, columnStride: 1))
            return { try device.gemmEpilogue(a.buffer, b.buffer, c.buffer, shape: shape, epilogue: epilogue) }
        }
    }
}

/// An epilogue operand's strides over [z, i, j].
struct EpilogueStrides: Sendable {
    var batch: Int, row: Int, column: Int

    func extent(batch b: Int, m: Int, n: Int) -> Int { (b - 1) * batch + (m - 1) * row + (n - 1) * column + 1 }
}

/// One product or convolution with its epilogue and deterministic inputs.
struct EpilogueParityCase: Sendable {
    var gemm: GemmShape
    /// Set for a convolution case (gemm is then the convolution's product shape).
    var conv: (geometry: ConvGeometry, outChannels: Int)?
    var bias: EpilogueStrides?
    var residual: EpilogueStrides?
    var seed: UInt64

    static var gemmCases: [EpilogueParityCase] {
        var cases: [EpilogueParityCase] = []
        func add(_ s: GemmShape, bias: EpilogueStrides?, residual: EpilogueStrides?) {
            cases.append(EpilogueParityCase(gemm: s, bias: bias, residual: residual, seed: 4100 + UInt64(cases.count)))
        }
        func rowBias(_ s: GemmShape) -> EpilogueStrides { EpilogueStrides(batch: 0, row: 1, column: 0) }
        func full(_ s: GemmShape) -> EpilogueStrides { EpilogueStrides(batch: s.m * s.n, row: s.n, column: 1) }
        let columnBias = EpilogueStrides(batch: 0, row: 0, column: 1)
        var s = GemmShape(m: 1, n: 1, k: 1)
        add(s, bias: columnBias, residual: full(s))
        s = GemmShape(m: 3, n: 17, k: 127)
        add(s, bias: rowBias(s), residual: nil)
        s = GemmShape(m: 33, n: 65, k: 31, transposeA: true, transposeB: true)
        add(s, bias: columnBias, residual: nil)
        s = GemmShape(batch: 3, m: 13, n: 19, k: 11, transposeB: true, strideA: 0)
        add(s, bias: rowBias(s), residual: full(s))
        // A per-(image, row) addend, as a time embedding added to a convolution's channels.
        s = GemmShape(batch: 2, m: 7, n: 17, k: 5)
        add(s, bias: rowBias(s), residual: EpilogueStrides(batch: 7, row: 1, column: 0))
        s = GemmShape(batch: 4, m: 9, n: 33, k: 17, transposeA: true, strideB: 0)
        add(s, bias: nil, residual: full(s))
        s = GemmShape(m: 37, n: 41, k: 29, transposeA: true, alpha: 0.5, beta: -1.25)
        add(s, bias: columnBias, residual: full(s))
        s = GemmShape(m: 6, n: 16, k: 0, beta: 0.5)
        add(s, bias: rowBias(s), residual: nil)
        s = GemmShape(batch: 2, m: 32, n: 196, k: 288, strideA: 0)
        add(s, bias: rowBias(s), residual: full(s))
        // Over 256 rows: the packed CPU-style product on OpenCL.
        s = GemmShape(batch: 2, m: 261, n: 19, k: 7, transposeB: true)
        add(s, bias: rowBias(s), residual: EpilogueStrides(batch: 261, row: 1, column: 0))
        return cases
    }

    static var convCases: [EpilogueParityCase] {
        let shapes: [(ConvGeometry, Int)] = [
            (ConvGeometry(batch: 1, channels: 1, height: 1, width: 1, kernelHeight: 1, kernelWidth: 1), 1),
            (ConvGeometry(batch: 2, channels: 3, height: 7, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 5),
            (ConvGeometry(batch: 3, channels: 2, height: 11, width: 13, kernelHeight: 3, kernelWidth: 3, stride: (2, 2)), 17),
            (ConvGeometry(batch: 9, channels: 8, height: 14, width: 14, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 12),
            // Winograd with 16-float output rows that end mid-row (19 columns) and an odd last row.
            (ConvGeometry(batch: 3, channels: 9, height: 9, width: 19, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 10),
        ]
        return shapes.enumerated().flatMap { index, shape -> [EpilogueParityCase] in
            let (g, o) = shape, pixels = g.outHeight * g.outWidth
            let product = GemmShape(
                batch: g.batch, m: o, n: pixels, k: g.columnRows, strideA: 0, strideB: g.columnRows * pixels,
                strideC: o * pixels)
            let bias = EpilogueStrides(batch: 0, row: 1, column: 0)
            return [
                EpilogueParityCase(
                    gemm: product, conv: (g, o), bias: bias, residual: EpilogueStrides(batch: o, row: 1, column: 0),
                    seed: 4200 + UInt64(2 * index)),
                EpilogueParityCase(
                    gemm: product, conv: (g, o), bias: bias, residual: EpilogueStrides(batch: o * pixels, row: pixels, column: 1),
                    seed: 4201 + UInt64(2 * index)),
            ]
        }
    }

    var label: String {
        func text(_ s: EpilogueStrides?) -> String { s.map { "(\($0.batch), \($0.row), \($0.column))" } ?? "none" }
        let what = conv.map { "\($0.geometry) o\($0.outChannels)" } ?? "\(gemm.description) alpha \(gemm.alpha) beta \(gemm.beta)"
        return "\(what) bias \(text(bias)) residual \(text(residual))"
    }

    /// (a or input, b or weight, c, bias, residual) values.
    var inputs: (a: [Float], b: [Float], c: [Float], bias: [Float], residual: [Float]) {
        var random = ParityInputs(seed: seed)
        let s = gemm
        let (na, nb): (Int, Int)
        if let conv {
            let g = conv.geometry
            (na, nb) = (g.batch * g.channels * g.height * g.width, conv.outChannels * g.columnRows)
        } else {
            (na, nb) = ((s.batch - 1) * s.strideA + s.m * s.k, (s.batch - 1) * s.strideB + s.k * s.n)
        }
        let nc = (s.batch - 1) * s.strideC + s.m * s.n
        return (
            random.floats(na), random.floats(nb), random.floats(nc),
            random.floats(bias?.extent(batch: s.batch, m: s.m, n: s.n) ?? 0),
            random.floats(residual?.extent(batch: s.batch, m: s.m, n: s.n) ?? 0)
        )
    }

    func epilogue(on device: any Device, bias b: [Float], residual r: [Float]) throws -> GemmEpilogue {
        func operand(_ strides: EpilogueStrides?, _ values: [Float]) throws -> GemmEpilogue.Operand? {
            guard let strides else { return nil }
            return .init(try device.upload(values), batchStride: strides.batch, rowStride: strides.row, columnStride: strides.column)
        }
        return GemmEpilogue(bias: try operand(bias, b), residual: try operand(residual, r))
    }

    var gemmKernelCase: KernelCase {
        let this = self, s = gemm
        return KernelCase(
            shape: label,
            run: { device in
                let (a, b, c, bias, residual) = this.inputs
                let cBuffer = try device.upload(c)
                try device.gemmEpilogue(
                    device.upload(a), device.upload(b), cBuffer, shape: s,
                    epilogue: this.epilogue(on: device, bias: bias, residual: residual))
                return [try device.download(cBuffer, count: c.count)]
            },
            reference: {
                let (a, b, c, bias, residual) = this.inputs
                return [this.withEpilogue(GemmParityCase.reference(s, a, b, c), bias, residual)]
            })
    }

    var convKernelCase: KernelCase {
        let this = self
        guard let conv else { preconditionFailure("not a convolution case") }
        let (g, o) = conv
        return KernelCase(
            shape: label,
            run: { device in
                let (x, w, _, bias, residual) = this.inputs
                let count = this.gemm.batch * this.gemm.strideC
                let y = try device.upload([Float](repeating: .nan, count: count))
                try device.conv2dEpilogue(
                    device.upload(x), weight: device.upload(w), y, geometry: g, outChannels: o,
                    epilogue: this.epilogue(on: device, bias: bias, residual: residual))
                return [try device.download(y, count: count)]
            },
            reference: {
                let (x, w, _, bias, residual) = this.inputs
                let product = referenceConvProduct(w.map(Double.init), referenceIm2col(x.map(Double.init), g), g, o)
                return [this.withEpilogue(product, bias, residual)]
            })
    }

    /// residual + (value + bias) over the product's C, in Float64.
    func withEpilogue(_ values: [Double], _ bias: [Float], _ residual: [Float]) -> [Double] {
        var out = values
        let s = gemm
        for z in 0..<s.batch {
            for i in 0..<s.m {
                for j in 0..<s.n {
                    let index = z * s.strideC + i * s.n + j
                    if let o = self.bias { out[index] += Double(bias[z * o.batch + i * o.row + j * o.column]) }
                    if let o = self.residual { out[index] += Double(residual[z * o.batch + i * o.row + j * o.column]) }
                }
            }
        }
        return out
    }
}
