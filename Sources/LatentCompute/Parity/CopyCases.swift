/// Parity cases of the copy family: fill, copy, copy_strided (permute, slice, concat, expand),
/// gather and scatter_add. Copies are exact, so both tolerances are 0 except scatter_add, whose
/// summation order may differ between backends.
extension KernelRegistry {
    public static var copyKernels: [KernelSpec] {
        [fillSpec, copySpec, copyStridedSpec, gatherSpec, scatterAddSpec]
    }

    private static let copyCounts = [1, 17, 1021, 1_000_003]

    private static var fillSpec: KernelSpec {
        KernelSpec(
            .fill, tolerance: 0,
            cases: copyCounts.map { n in
                KernelCase(
                    shape: "\(n)", referenceTolerance: 0,
                    run: { device in
                        let out = try ParityCaseKit.buffer(device, n)
                        try device.fill(out, count: n, value: 0.375)
                        return [try device.download(out, count: n)]
                    }, reference: { [[Double](repeating: 0.375, count: n)] })
            })
    }

    private static var copySpec: KernelSpec {
        KernelSpec(
            .copy, tolerance: 0,
            cases: copyCounts.map { n in
                let input: @Sendable () -> [Float] = {
                    var g = ParityInputs(seed: 101)
                    return ParityCaseKit.floats(&g, n)
                }
                return KernelCase(
                    shape: "\(n)", referenceTolerance: 0,
                    run: { device in
                        let x = try device.upload(input()), out = try ParityCaseKit.buffer(device, n)
                        try device.copy(x, out, count: n)
                        return [try device.download(out, count: n)]
                    }, reference: { [ParityCaseKit.doubles(input())] })
            })
    }

    /// One strided copy: x and out of given sizes, the copy's uncollapsed shape and strides;
    /// `out` starts as a known pattern so untouched elements are compared too.
    private struct StridedCopyCase {
        var label: String
        var xCount: Int
        var outCount: Int
        var shape: [Int]
        var xStrides: [Int]
        var xOffset: Int
        var outStrides: [Int]
        var outOffset: Int
    }

    private static var stridedCopyCases: [StridedCopyCase] {
        [
            // permute [17, 3, 127] -> [127, 17, 3]: out index (i2, i0, i1).
            StridedCopyCase(
                label: "permute 17x3x127 -> 127x17x3", xCount: 17 * 3 * 127, outCount: 17 * 3 * 127,
                shape: [17, 3, 127], xStrides: [381, 127, 1], xOffset: 0, outStrides: [3, 1, 51], outOffset: 0),
            // slice rows 5..<100, columns 3..<20 of [127, 33].
            StridedCopyCase(
                label: "slice 127x33 [5..<100, 3..<20]", xCount: 127 * 33, outCount: 95 * 17,
                shape: [95, 17], xStrides: [33, 1], xOffset: 5 * 33 + 3, outStrides: [17, 1], outOffset: 0),
            // concat: [17, 5] into columns 7..<12 of [17, 12].
            StridedCopyCase(
                label: "concat 17x5 into 17x12 at column 7", xCount: 17 * 5, outCount: 17 * 12,
                shape: [17, 5], xStrides: [5, 1], xOffset: 0, outStrides: [12, 1], outOffset: 7),
            // expand [1, 127] -> [17, 127] and [3, 1] -> [3, 1021].
            StridedCopyCase(
                label: "expand 1x127 -> 17x127", xCount: 127, outCount: 17 * 127,
                shape: [17, 127], xStrides: [0, 1], xOffset: 0, outStrides: [127, 1], outOffset: 0),
            StridedCopyCase(
                label: "expand 3x1 -> 3x1021", xCount: 3, outCount: 3 * 1021,
                shape: [3, 1021], xStrides: [1, 0], xOffset: 0, outStrides: [1021, 1], outOffset: 0),
            // rank 0: one element between offsets.
            StridedCopyCase(
                label: "rank 0", xCount: 5, outCount: 4, shape: [], xStrides: [], xOffset: 3,
                outStrides: [], outOffset: 2),
            // 5-axis permute with a size-1 axis, [2, 1, 3, 17, 4] -> [4, 17, 1, 3, 2].
            StridedCopyCase(
                label: "permute 2x1x3x17x4 -> 4x17x1x3x2", xCount: 408, outCount: 408,
                shape: [2, 1, 3, 17, 4], xStrides: [204, 204, 68, 4, 1], xOffset: 0,
                outStrides: [1, 6, 2, 6, 102], outOffset: 0),
            // large transpose [1024, 1021] -> [1021, 1024].
            StridedCopyCase(
                label: "transpose 1024x1021", xCount: 1024 * 1021, outCount: 1024 * 1021,
                shape: [1024, 1021], xStrides: [1021, 1], xOffset: 0, outStrides: [1, 1024], outOffset: 0),
        ]
    }

    private static var copyStridedSpec: KernelSpec {
        KernelSpec(
            .copyStrided, tolerance: 0, deviceShaped: true,
            cases: stridedCopyCases.map { c in
                let inputs: @Sendable () -> (x: [Float], out: [Float]) = {
                    var g = ParityInputs(seed: 202)
                    return (ParityCaseKit.floats(&g, c.xCount), [Float](repeating: -7, count: c.outCount))
                }
                return KernelCase(
                    shape: c.label, referenceTolerance: 0,
                    run: { device in
                        let (xv, ov) = inputs()
                        let x = try device.upload(xv), out = try device.upload(ov)
                        try device.copyStrided(
                            x, out,
                            layout: StridedCopyLayout(
                                shape: c.shape, xStrides: c.xStrides, xOffset: c.xOffset,
                                outStrides: c.outStrides, outOffset: c.outOffset))
                        return [try device.download(out, count: c.outCount)]
                    },
                    reference: {
                        let (xv, ov) = inputs()
                        var out = ParityCaseKit.doubles(ov)
                        let count = c.shape.reduce(1, *)
                        var index = [Int](repeating: 0, count: c.shape.count)
                        for _ in 0..<count {
                            var xi = c.xOffset, oi = c.outOffset
                            for d in 0..<c.shape.count {
                                xi += index[d] * c.xStrides[d]
                                oi += index[d] * c.outStrides[d]
                            }
                            out[oi] = Double(xv[xi])
                            var d = c.shape.count - 1
                            while d >= 0 {
                                index[d] += 1
                                if index[d] < c.shape[d] { break }
                                index[d] = 0
                                d -= 1
                            }
                        }
                        return [out]
                    })
            })
    }

    /// (indexCount, rowLength, tableRows)
    private static let gatherShapes = [(1, 1, 1), (300, 17, 127), (1021, 1, 17), (1021, 1024, 1021)]

    private static var gatherSpec: KernelSpec {
        KernelSpec(
            .gather, tolerance: 0,
            cases: gatherShapes.map { (n, len, rows) in
                let inputs: @Sendable () -> (table: [Float], indices: [Int32]) = {
                    var g = ParityInputs(seed: 303)
                    var idx = g.indices(n, below: rows)
                    // Out-of-range indices give zero rows.
                    if n > 2 {
                        idx[1] = -1
                        idx[n - 1] = Int32(rows)
                    }
                    return (ParityCaseKit.floats(&g, rows * len), idx)
                }
                return KernelCase(
                    shape: "table \(rows)x\(len), \(n) indices", referenceTolerance: 0,
                    run: { device in
                        let (tv, iv) = inputs()
                        let t = try device.upload(tv), i = try device.upload(iv), out = try ParityCaseKit.buffer(device, n * len)
                        try device.gather(t, indices: i, out, indexCount: n, rowLength: len, tableRows: rows)
                        return [try device.download(out, count: n * len)]
                    },
                    reference: {
                        let (tv, iv) = inputs()
                        var out = [Double](repeating: 0, count: n * len)
                        for i in 0..<n where iv[i] >= 0 && Int(iv[i]) < rows {
                            for c in 0..<len { out[i * len + c] = Double(tv[Int(iv[i]) * len + c]) }
                        }
                        return [out]
                    })
            })
    }

    /// (indexCount, rowLength, outRows)
    private static let scatterShapes = [(1, 1, 1), (300, 3, 17), (1000, 1, 127), (127, 300, 17), (1024, 1021, 64)]

    private static var scatterAddSpec: KernelSpec {
        KernelSpec(
            .scatterAdd, tolerance: 1e-12,
            cases: scatterShapes.map { (n, len, rows) in
                let inputs: @Sendable () -> (source: [Float], indices: [Int32], out: [Float]) = {
                    var g = ParityInputs(seed: 404)
                    var idx = g.indices(n, below: rows)
                    if n > 2 {
                        idx[0] = Int32(rows)
                        idx[n / 2] = -3
                    }
                    return (ParityCaseKit.floats(&g, n * len), idx, ParityCaseKit.floats(&g, rows * len))
                }
                return KernelCase(
                    shape: "\(n)x\(len) into \(rows)x\(len)", referenceTolerance: 1e-12,
                    run: { device in
                        let (sv, iv, ov) = inputs()
                        let s = try device.upload(sv), i = try device.upload(iv), out = try device.upload(ov)
                        try device.scatterAdd(s, indices: i, out, indexCount: n, rowLength: len, outRows: rows)
                        return [try device.download(out, count: rows * len)]
                    },
                    reference: {
                        let (sv, iv, ov) = inputs()
                        var out = ParityCaseKit.doubles(ov)
                        for i in 0..<n where iv[i] >= 0 && Int(iv[i]) < rows {
                            for c in 0..<len { out[Int(iv[i]) * len + c] += Double(sv[i * len + c]) }
                        }
                        return [out]
                    })
            })
    }
}
