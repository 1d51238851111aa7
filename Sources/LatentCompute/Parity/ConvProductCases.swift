/// Parity registrations of the fused convolution kernels (conv2d and its two gradients; the CPU
/// backend fuses im2col and GEMM per group of images, other backends compose them), with Float64
/// references built from the im2col definition.
extension KernelRegistry {
    public static var convProductKernels: [KernelSpec] {
        // (geometry, output channels, forced scratch budget). Batches of 9 and 16 with small images make
        // the CPU backend put several images in one product; batch 1 takes the composite path.
        let plain: [(ConvGeometry, Int)] = [
            (ConvGeometry(batch: 1, channels: 1, height: 1, width: 1, kernelHeight: 1, kernelWidth: 1), 1),
            (ConvGeometry(batch: 2, channels: 3, height: 7, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 5),
            (ConvGeometry(batch: 3, channels: 2, height: 11, width: 13, kernelHeight: 3, kernelWidth: 3, stride: (2, 2)), 17),
            (
                ConvGeometry(
                    batch: 2, channels: 3, height: 9, width: 9, kernelHeight: 4, kernelWidth: 4,
                    stride: (2, 2), padding: (1, 1)), 7
            ),
            (ConvGeometry(batch: 3, channels: 5, height: 6, width: 7, kernelHeight: 1, kernelWidth: 1), 3),
            (
                ConvGeometry(
                    batch: 9, channels: 3, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3,
                    padding: (2, 2), dilation: (2, 2)), 4
            ),
            (ConvGeometry(batch: 16, channels: 8, height: 7, width: 7, kernelHeight: 1, kernelWidth: 1), 12),
            (ConvGeometry(batch: 8, channels: 16, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 32),
            // Winograd F(4×4) on both backends (3×3, stride 1, ≥ 8 channels each side; OpenCL's
            // F(2×2) has its own cases in OpenCLWinogradTileTests): odd output sizes, paddings 0 and
            // 2, tile rows shorter and longer than the kernels' 8 lanes.
            (ConvGeometry(batch: 3, channels: 9, height: 7, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 10),
            (ConvGeometry(batch: 2, channels: 8, height: 6, width: 9, kernelHeight: 3, kernelWidth: 3), 13),
            (ConvGeometry(batch: 2, channels: 12, height: 5, width: 4, kernelHeight: 3, kernelWidth: 3, padding: (2, 2)), 8),
            (ConvGeometry(batch: 2, channels: 8, height: 21, width: 37, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 9),
            // Fewer than 8 output channels: Winograd on OpenCL (not on the CPU backend); backward on neither.
            (ConvGeometry(batch: 2, channels: 10, height: 9, width: 11, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 3),
        ]
        // Chunked: a budget of a few images' column matrices makes the composed convolution (OpenCL's,
        // the composed variant's, the CPU's for a small batch) run in chunks on any device. Images of
        // 2 KiB: in place through views of 2 images. Images of 64 B: views on chunks rounded to the
        // alignment (3 images per chunk on the CPU, 2 on PoCL's 128-byte alignment). Images of 300 B:
        // no chunk size under the budget is aligned, so staging copies (the fallback path).
        let chunked: [(ConvGeometry, Int, Int)] = [
            (ConvGeometry(batch: 7, channels: 8, height: 8, width: 8, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 16, 2 * 72 * 64 * 4),
            (ConvGeometry(batch: 9, channels: 1, height: 4, width: 4, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 2, 3 * 9 * 16 * 4),
            (ConvGeometry(batch: 5, channels: 3, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 5, 2 * 27 * 25 * 4),
        ]
        let shapes: [(ConvGeometry, Int, Int?)] = plain.map { ($0.0, $0.1, nil) } + chunked.map { ($0.0, $0.1, $0.2) }
        func label(_ g: ConvGeometry, _ o: Int, _ budget: Int?) -> String {
            "\(g) o\(o)" + (budget.map { " budget \($0) B" } ?? "")
        }
        func sizes(_ g: ConvGeometry, _ o: Int) -> (input: Int, weight: Int, output: Int) {
            (g.batch * g.channels * g.height * g.width, o * g.columnRows, g.batch * o * g.outHeight * g.outWidth)
        }
        let forward = shapes.enumerated().map { index, shape in
            let (g, o, budget) = shape, size = sizes(g, o)
            return KernelCase(
                shape: label(g, o, budget),
                run: { device in
                    var inputs = ParityInputs(seed: 700 + UInt64(index))
                    let x = inputs.floats(size.input), w = inputs.floats(size.weight)
                    let y = try device.upload([Float](repeating: .nan, count: size.output))
                    try withScratchBudget(budget) { try device.conv2d(device.upload(x), weight: device.upload(w), y, geometry: g, outChannels: o) }
                    return [try device.download(y, count: size.output)]
                },
                reference: {
                    var inputs = ParityInputs(seed: 700 + UInt64(index))
                    let x = inputs.floats(size.input).map(Double.init), w = inputs.floats(size.weight).map(Double.init)
                    return [referenceConvProduct(w, referenceIm2col(x, g), g, o)]
                })
        }
        let backwardInput = shapes.enumerated().map { index, shape in
            let (g, o, budget) = shape, size = sizes(g, o)
            return KernelCase(
                shape: label(g, o, budget),
                run: { device in
                    var inputs = ParityInputs(seed: 800 + UInt64(index))
                    let gy = inputs.floats(size.output), w = inputs.floats(size.weight)
                    let gx = try device.upload([Float](repeating: .nan, count: size.input))
                    try withScratchBudget(budget) {
                        try device.conv2dBackwardInput(device.upload(gy), weight: device.upload(w), gx, geometry: g, outChannels: o)
                    }
                    return [try device.download(gx, count: size.input)]
                },
                reference: {
                    var inputs = ParityInputs(seed: 800 + UInt64(index))
                    let gy = inputs.floats(size.output).map(Double.init), w = inputs.floats(size.weight).map(Double.init)
                    return [referenceCol2im(referenceConvInputColumns(w, gy, g, o), g)]
                })
        }
        let backwardWeight = shapes.enumerated().map { index, shape in
            let (g, o, budget) = shape, size = sizes(g, o)
            return KernelCase(
                shape: label(g, o, budget),
                run: { device in
                    var inputs = ParityInputs(seed: 900 + UInt64(index))
                    let x = inputs.floats(size.input), gy = inputs.floats(size.output)
                    let gw = try device.upload([Float](repeating: .nan, count: size.weight))
                    try withScratchBudget(budget) {
                        try device.conv2dBackwardWeight(device.upload(x), device.upload(gy), gw, geometry: g, outChannels: o)
                    }
                    return [try device.download(gw, count: size.weight)]
                },
                reference: {
                    var inputs = ParityInputs(seed: 900 + UInt64(index))
                    let x = inputs.floats(size.input).map(Double.init), gy = inputs.floats(size.output).map(Double.init)
                    return [referenceConvWeightGradient(referenceIm2col(x, g), gy, g, o)]
                })
        }
        return [
            KernelSpec(.conv2d, tolerance: 1e-10, deviceShaped: true, benchmarks: conv2dBenchmarks, cases: forward),
            KernelSpec(.conv2dBackwardInput, tolerance: 1e-10, deviceShaped: true, cases: backwardInput),
            KernelSpec(.conv2dBackwardWeight, tolerance: 1e-10, deviceShaped: true, cases: backwardWeight),
        ]
    }
}

/// Runs `body` with the composed convolution's scratch budget forced to `budget` bytes (nil: the device's).
private func withScratchBudget<T>(_ budget: Int?, _ body: () throws -> T) rethrows -> T {
    try ScratchBudget.$forcedBytes.withValue(budget, operation: body)
}

/// y[n, o, p] = Σ_r w[o, r] · cols[n, r, p].
func referenceConvProduct(_ w: [Double], _ cols: [Double], _ g: ConvGeometry, _ o: Int) -> [Double] {
    let rows = g.columnRows, pixels = g.outHeight * g.outWidth
    var y = [Double](repeating: 0, count: g.batch * o * pixels)
    for n in 0..<g.batch {
        for oc in 0..<o {
            for r in 0..<rows {
                let weight = w[oc * rows + r]
                for p in 0..<pixels { y[(n * o + oc) * pixels + p] += weight * cols[(n * rows + r) * pixels + p] }
            }
        }
    }
    return y
}

/// cols[n, r, p] = Σ_o w[o, r] · gy[n, o, p] (the column gradient before col2im).
func referenceConvInputColumns(_ w: [Double], _ gy: [Double], _ g: ConvGeometry, _ o: Int) -> [Double] {
    let rows = g.columnRows, pixels = g.outHeight * g.outWidth
    var cols = [Double](repeating: 0, count: g.batch * rows * pixels)
    for n in 0..<g.batch {
        for oc in 0..<o {
            for r in 0..<rows {
                let weight = w[oc * rows + r]
                for p in 0..<pixels { cols[(n * rows + r) * pixels + p] += weight * gy[(n * o + oc) * pixels + p] }
            }
        }
    }
    return cols
}

/// gw[o, r] = Σ_n Σ_p gy[n, o, p] · cols[n, r, p].
func referenceConvWeightGradient(_ cols: [Double], _ gy: [Double], _ g: ConvGeometry, _ o: Int) -> [Double] {
    let rows = g.columnRows, pixels = g.outHeight * g.outWidth
    var gw = [Double](repeating: 0, count: o * rows)
    for n in 0..<g.batch {
        for oc in 0..<o {
            for r in 0..<rows {
                var sum = 0.0
                for p in 0..<pixels { sum += gy[(n * o + oc) * pixels + p] * cols[(n * rows + r) * pixels + p] }
                gw[oc * rows + r] += sum
            }
        }
    }
    return gw
}
