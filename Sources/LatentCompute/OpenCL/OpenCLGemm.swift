#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which kernel of Kernels/gemm.cl runs a matrix product.
enum OpenCLGemmVariant: String, Sendable, CaseIterable {
    /// Register-blocked, no local memory: CPU OpenCL devices (PoCL).
    case cpu
    /// Local-memory tiled: GPUs and accelerators.
    case gpu

    /// The device type decides, unless `KernelVariant.forced` says otherwise.
    static func choose(for device: OpenCLDevice) -> OpenCLGemmVariant {
        device.usesCPUShapedKernels ? .cpu : .gpu
    }
}

extension OpenCLDevice {
    public func gemm(_ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape) throws {
        try gemm(a, b, c, shape: shape, epilogue: GemmEpilogue(), variant: OpenCLGemmVariant.choose(for: self))
    }

    /// The product with its epilogue in the same launch (the bias and residual adds of a layer).
    public func gemmEpilogue(
        _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape, epilogue: GemmEpilogue
    ) throws {
        try epilogue.validate(for: shape)
        guard shape.k > 0, shape.alpha != 0 else {
            // The scaling kernel has no epilogue: compose (a case no layer produces).
            return try composedGemmEpilogue(a, b, c, shape: shape, epilogue: epilogue)
        }
        try gemm(a, b, c, shape: shape, epilogue: epilogue, variant: OpenCLGemmVariant.choose(for: self))
    }

    /// The product with an explicit kernel variant (tests run both on any device).
    func gemm(
        _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape s: GemmShape,
        epilogue: GemmEpilogue = GemmEpilogue(), variant: OpenCLGemmVariant
    ) throws {
        guard s.batch >= 0, s.m >= 0, s.n >= 0, s.k >= 0, s.strideA >= 0, s.strideB >= 0, s.strideC >= 0 else {
            throw ComputeError.invalidArgument("gemm: negative size in \(s)")
        }
        if s.batch == 0 || s.m == 0 || s.n == 0 { return }
        let needA = s.k == 0 ? 0 : (s.batch - 1) * s.strideA + s.m * s.k
        let needB = s.k == 0 ? 0 : (s.batch - 1) * s.strideB + s.k * s.n
        let needC = (s.batch - 1) * s.strideC + s.m * s.n
        guard needA * 4 <= a.byteCount, needB * 4 <= b.byteCount, needC * 4 <= c.byteCount else {
            throw ComputeError.invalidArgument("gemm \(s): a buffer is too small")
        }
        for count in [needA, needB, needC, s.m * s.n, s.m * s.k, s.k * s.n] { _ = try kernelCount(count, "gemm size") }
        // Overlapping C matrices (e.g. stride 0) accumulate batch after batch, as on the CPU backend.
        let serial = s.batch > 1 && s.strideC < s.m * s.n
        let launches = serial ? s.batch : 1
        let perLaunch = serial ? 1 : s.batch

        if s.k == 0 || s.alpha == 0 {
            for z in 0..<launches {
                try launch(
                    family: "gemm", kernel: "sgemm_scale", global: [roundUp(s.m * s.n, 64), perLaunch],
                    local: [64, 1],
                    arguments: [
                        .buffer(c), .int(Int32(s.m * s.n)), .int(Int32(z * s.strideC)), .int(Int32(s.strideC)),
                        .float(s.beta),
                    ])
            }
            return
        }

        // Fixed work-group sizes and runtime transpose flags: PoCL compiles a kernel once per
        // work-group size, so letting the driver pick sizes per shape would recompile per shape.
        let lda = s.transposeA ? s.m : s.k
        let ldb = s.transposeB ? s.k : s.n
        let extra = epilogueArguments(epilogue, fallback: c)
        for z in 0..<launches {
            let operands: [KernelArgument] = [
                .buffer(a), .buffer(b), .buffer(c),
                .int(Int32(s.m)), .int(Int32(s.n)), .int(Int32(s.k)), .int(Int32(lda)), .int(Int32(ldb)),
                .int(Int32(z * s.strideA)), .int(Int32(z * s.strideB)), .int(Int32(z * s.strideC)),
                .int(Int32(s.strideA)), .int(Int32(s.strideB)), .int(Int32(s.strideC)),
                .float(s.alpha), .float(s.beta), .int(s.transposeA ? 1 : 0), .int(s.transposeB ? 1 : 0),
            ]
            switch variant {
            case .cpu where s.m > Self.directGemmMaxRows:
                try packedGemm(a, b, c, shape: s, z: z, perLaunch: perLaunch, lda: lda, ldb: ldb, epilogue: extra)
            case .cpu:
                try launch(
                    family: "gemm", kernel: "sgemm_cpu", global: [roundUp((s.m + 5) / 6, 8), (s.n + 15) / 16, perLaunch],
                    local: [8, 1, 1], arguments: operands + extra)
            case .gpu:
                try launch(
                    family: "gemm", kernel: "sgemm_tiled",
                    global: [(s.n + 63) / 64 * 16, (s.m + 63) / 64 * 16, perLaunch], local: [16, 16, 1],
                    arguments: operands + extra)
            }
        }
    }

    /// The most rows a CPU-style product reads straight from its operands. Taller products pack A
    /// and B first (three launches): every 6-row block re-reads B's columns, and from a few dozen
    /// blocks on a sequential packed copy is faster than strided rows (measured on PoCL: a 1024³
    /// product is faster packed, a U-Net convolution's 64 × 784 × 576 direct).
    static let directGemmMaxRows = 256

    /// The packed CPU-style product of batch slice z: pack op(A) into 6-row panels and op(B) into
    /// 16-column panels (zero-padded, transposes absorbed), then one work-item per 6×16 block of C.
    private func packedGemm(
        _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape s: GemmShape, z: Int, perLaunch: Int,
        lda: Int, ldb: Int, epilogue: [KernelArgument]
    ) throws {
        let panelsA = (s.m + 5) / 6, panelsB = (s.n + 15) / 16
        let sizeA = panelsA * 6 * s.k, sizeB = panelsB * 16 * s.k
        let batchesA = s.strideA == 0 ? 1 : perLaunch
        let batchesB = s.strideB == 0 ? 1 : perLaunch
        _ = try kernelCount(batchesA * sizeA, "packed A size")
        _ = try kernelCount(batchesB * sizeB, "packed B size")
        // Pooled scratch: the in-order queue finishes this product before any later reuse.
        let packedA = try makeBuffer(byteCount: batchesA * sizeA * 4)
        let packedB = try makeBuffer(byteCount: batchesB * sizeB * 4)
        let depthChunks = (s.k + 63) / 64
        try launch(
            family: "gemm", kernel: "pack_a", global: [panelsA, depthChunks, batchesA], local: [1, 1, 1],
            arguments: [
                .buffer(a), .buffer(packedA), .int(Int32(s.m)), .int(Int32(s.k)), .int(Int32(lda)),
                .int(Int32(z * s.strideA)), .int(Int32(s.strideA)), .int(s.transposeA ? 1 : 0),
            ])
        try launch(
            family: "gemm", kernel: "pack_b", global: [panelsB, depthChunks, batchesB], local: [1, 1, 1],
            arguments: [
                .buffer(b), .buffer(packedB), .int(Int32(s.n)), .int(Int32(s.k)), .int(Int32(ldb)),
                .int(Int32(z * s.strideB)), .int(Int32(s.strideB)), .int(s.transposeB ? 1 : 0),
            ])
        try launch(
            family: "gemm", kernel: "sgemm_cpu_packed", global: [roundUp(panelsA, 8), panelsB, perLaunch],
            local: [8, 1, 1],
            arguments: [
                .buffer(packedA), .buffer(packedB), .buffer(c), .int(Int32(s.m)), .int(Int32(s.n)), .int(Int32(s.k)),
                .int(Int32(s.strideA == 0 ? 0 : sizeA)), .int(Int32(s.strideB == 0 ? 0 : sizeB)),
                .int(Int32(z * s.strideC)), .int(Int32(s.strideC)), .float(s.alpha), .float(s.beta),
            ] + epilogue)
    }

    /// The ten epilogue arguments of the product kernels (flags 0 and `fallback` for absent operands).
    func epilogueArguments(_ e: GemmEpilogue, fallback: any DeviceBuffer) -> [KernelArgument] {
        func operand(_ o: GemmEpilogue.Operand?) -> [KernelArgument] {
            guard let o else { return [.buffer(fallback), .int(0), .int(0), .int(0), .int(0)] }
            return [.buffer(o.buffer), .int(Int32(o.batchStride)), .int(Int32(o.rowStride)), .int(Int32(o.columnStride)), .int(1)]
        }
        return operand(e.bias) + operand(e.residual)
    }
}

private func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
