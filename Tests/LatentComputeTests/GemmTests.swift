#if canImport(Glibc)
    import Glibc
#endif
@testable import LatentCompute
import Testing

/// The gemm family beyond the parity registry: the registry's shape coverage, how a variant is
/// chosen, and small products checked by hand on every device and variant.
@Suite struct GemmTests {
    @Test func registryCoversTheRequiredShapes() {
        let cases = GemmParityCase.all
        #expect(KernelRegistry.gemmKernels.map(\.name) == ["sgemm"])
        #expect(KernelRegistry.gemmKernels[0].variants == [.cpuShaped, .gpuShaped])
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            #expect(cases.contains { $0.shape.transposeA == ta && $0.shape.transposeB == tb })
        }
        #expect(cases.contains { $0.shape.batch > 1 && $0.shape.strideA == 0 })
        #expect(cases.contains { $0.shape.batch > 1 && $0.shape.strideB == 0 })
        #expect(cases.contains { $0.nanC && $0.shape.beta == 0 && $0.shape.k > 0 })
        #expect(cases.contains { $0.shape.k == 1 })
        #expect(cases.contains { $0.shape.k == 0 })
    }

    // MARK: hand-checked products

    /// [[1, 2, 3], [4, 5, 6]] · [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]].
    static let handA: [Float] = [1, 2, 3, 4, 5, 6]
    static let handB: [Float] = [7, 8, 9, 10, 11, 12]
    static let handProduct: [Float] = [58, 64, 139, 154]

    /// Every device the hand checks run on: the CPU backend and each OpenCL variant.
    func devices() throws -> [(String, (GemmShape, [Float], [Float], [Float]) throws -> [Float])] {
        var list: [(String, (GemmShape, [Float], [Float], [Float]) throws -> [Float])] = [("cpu", runCPU)]
        if let opencl = try DeviceSelection.resolve(.opencl) as? OpenCLDevice {
            for variant in OpenCLGemmVariant.allCases {
                list.append(("opencl \(variant)", { try runOpenCL(opencl, variant, $0, $1, $2, $3) }))
            }
        }
        return list
    }

    @Test func handCheckedProducts() throws {
        let lists = try devices()
        #expect(lists.count == 3)
        let nan = Float.nan
        for (name, run) in lists {
            let plain = try run(GemmShape(m: 2, n: 2, k: 3), Self.handA, Self.handB, [nan, nan, nan, nan])
            #expect(plain == Self.handProduct, "\(name) plain")
            // Aᵀ stored 3×2 and Bᵀ stored 2×3 give the same product.
            let at: [Float] = [1, 4, 2, 5, 3, 6], bt: [Float] = [7, 9, 11, 8, 10, 12]
            #expect(try run(GemmShape(m: 2, n: 2, k: 3, transposeA: true), at, Self.handB, [0, 0, 0, 0]) == Self.handProduct, "\(name) tA")
            #expect(try run(GemmShape(m: 2, n: 2, k: 3, transposeB: true), Self.handA, bt, [0, 0, 0, 0]) == Self.handProduct, "\(name) tB")
            #expect(
                try run(GemmShape(m: 2, n: 2, k: 3, transposeA: true, transposeB: true), at, bt, [0, 0, 0, 0]) == Self.handProduct, "\(name) tA tB")
            // alpha and beta: 2·AB - 1·C with C = [1, 2, 3, 4].
            #expect(
                try run(GemmShape(m: 2, n: 2, k: 3, alpha: 2, beta: -1), Self.handA, Self.handB, [1, 2, 3, 4]) == [115, 126, 275, 304],
                "\(name) alpha beta")
            // k = 0: C = beta·C, and beta = 0 clears NaN.
            #expect(try run(GemmShape(m: 2, n: 2, k: 0, beta: 3), [0], [0], [1, 2, 3, 4]) == [3, 6, 9, 12], "\(name) k=0")
            #expect(try run(GemmShape(m: 2, n: 2, k: 0, beta: 0), [0], [0], [nan, 1, nan, 2]) == [0, 0, 0, 0], "\(name) k=0 beta=0")
            // A 1×1×1 product and an outer product (k = 1).
            #expect(try run(GemmShape(m: 1, n: 1, k: 1, alpha: 0.5), [3], [4], [nan]) == [6], "\(name) 1x1x1")
            #expect(
                try run(GemmShape(m: 3, n: 2, k: 1), [1, 2, 3], [10, 20], [Float](repeating: nan, count: 6)) == [10, 20, 20, 40, 30, 60],
                "\(name) outer")
            // Batch of two with A broadcast: B_0 = I, B_1 = 2I.
            let batched = try run(
                GemmShape(batch: 2, m: 2, n: 2, k: 2, strideA: 0), [1, 2, 3, 4], [1, 0, 0, 1, 2, 0, 0, 2],
                [Float](repeating: nan, count: 8))
            #expect(batched == [1, 2, 3, 4, 2, 4, 6, 8], "\(name) batched")
            // C stride 0: the batches accumulate into one matrix in order (beta = 1).
            let accumulated = try run(GemmShape(batch: 3, m: 1, n: 2, k: 1, beta: 1, strideC: 0), [1, 2, 3], [1, 1, 1, 1, 1, 1], [5, 6])
            #expect(accumulated == [11, 12], "\(name) accumulate")
        }
    }

    @Test func sizesAroundTheBlockEdges() throws {
        // m, n around the 6×16 micro-tile, the 64 tile and the CPU row block (192); k around the
        // CPU depth block (1024).
        let lists = try devices()
        var random = ParityInputs(seed: 99)
        for (m, n, k) in [(5, 15, 1023), (6, 16, 1024), (7, 17, 1025), (63, 65, 64), (193, 33, 769), (191, 1025, 7)] {
            for (ta, tb) in [(false, false), (true, true)] {
                let shape = GemmShape(m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: 1.5, beta: 0.25)
                let a = random.floats(m * k), b = random.floats(k * n), c = random.floats(m * n)
                let expected = GemmParityCase.reference(shape, a, b, c)
                for (name, run) in lists {
                    let actual = try run(shape, a, b, c)
                    let (nmse, _, _) = ParitySuite.compare([actual.map(Double.init)], [expected])
                    #expect(nmse <= 1e-10, "\(name) \(shape): nmse \(nmse)")
                }
            }
        }
    }

    @Test func aForcedVariantOverridesTheDeviceType() throws {
        let device = try concreteOpenCLDevice()
        let byType: OpenCLGemmVariant = device.info.type == "cpu" ? .cpu : .gpu
        #expect(OpenCLGemmVariant.choose(for: device) == byType)
        KernelVariant.$forced.withValue(.gpuShaped) { #expect(OpenCLGemmVariant.choose(for: device) == .gpu) }
        KernelVariant.$forced.withValue(.cpuShaped) { #expect(OpenCLGemmVariant.choose(for: device) == .cpu) }
    }
}

private func runCPU(_ shape: GemmShape, _ a: [Float], _ b: [Float], _ c: [Float]) throws -> [Float] {
    let device = CPUDevice.shared
    let ab = try device.upload(a), bb = try device.upload(b), cb = try device.upload(c)
    try device.gemm(ab, bb, cb, shape: shape)
    return try device.download(cb, count: c.count).map { Float($0) }
}

private func runOpenCL(
    _ device: OpenCLDevice, _ variant: OpenCLGemmVariant, _ shape: GemmShape,
    _ a: [Float], _ b: [Float], _ c: [Float]
) throws -> [Float] {
    let ab = try device.upload(a), bb = try device.upload(b), cb = try device.upload(c)
    try device.gemm(ab, bb, cb, shape: shape, variant: variant)
    return try device.download(cb, count: c.count).map { Float($0) }
}
