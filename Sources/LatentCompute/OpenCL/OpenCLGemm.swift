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

    /// LATENT_GEMM_VARIANT=cpu|gpu forces a variant (for tests and experiments); otherwise the
    /// device type decides.
    static func choose(for device: OpenCLDevice) -> OpenCLGemmVariant {
        if let text = getenv("LATENT_GEMM_VARIANT"), let forced = OpenCLGemmVariant(rawValue: String(cString: text)) {
            return forced
        }
        return device.isCPUDevice ? .cpu : .gpu
    }
}

extension OpenCLDevice {
    public func gemm(_ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape) throws {
        try gemm(a, b, c, shape: shape, variant: OpenCLGemmVariant.choose(for: self))
    }

    /// The product with an explicit kernel variant (tests run both on any device).
    func gemm(_ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape s: GemmShape,
              variant: OpenCLGemmVariant) throws {
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
                try launch(family: "gemm", kernel: "sgemm_scale", global: [s.m * s.n, perLaunch], arguments: [
                    .buffer(c), .int(Int32(s.m * s.n)), .int(Int32(z * s.strideC)), .int(Int32(s.strideC)),
                    .float(s.beta),
                ])
            }
            return
        }

        var bOperand = b
        var strideB = s.strideB
        var transposeB = s.transposeB
        var scratch: (any DeviceBuffer)?
        if variant == .cpu && s.transposeB {
            // The CPU-style kernel streams rows of op(B): transpose B (n×k) into k×n scratch first.
            let matrices = s.strideB == 0 ? 1 : s.batch
            let buffer = try makeBuffer(byteCount: matrices * s.k * s.n * 4)
            try launch(family: "gemm", kernel: "transpose",
                       global: [(s.n + 7) / 8, (s.k + 7) / 8, matrices], arguments: [
                .buffer(b), .buffer(buffer), .int(Int32(s.n)), .int(Int32(s.k)), .int(0), .int(Int32(s.strideB)),
            ])
            scratch = buffer
            bOperand = buffer
            strideB = s.strideB == 0 ? 0 : s.k * s.n
            transposeB = false
        }
        let options = "-D TRANS_A=\(s.transposeA ? 1 : 0) -D TRANS_B=\(transposeB ? 1 : 0)"
        let lda = s.transposeA ? s.m : s.k
        let ldb = transposeB ? s.k : s.n
        for z in 0..<launches {
            let arguments: [KernelArgument] = [
                .buffer(a), .buffer(bOperand), .buffer(c),
                .int(Int32(s.m)), .int(Int32(s.n)), .int(Int32(s.k)), .int(Int32(lda)), .int(Int32(ldb)),
                .int(Int32(z * s.strideA)), .int(Int32(z * strideB)), .int(Int32(z * s.strideC)),
                .int(Int32(s.strideA)), .int(Int32(strideB)), .int(Int32(s.strideC)),
                .float(s.alpha), .float(s.beta),
            ]
            switch variant {
            case .cpu:
                try launch(family: "gemm", kernel: "sgemm_cpu", options: options,
                           global: [(s.m + 5) / 6, (s.n + 15) / 16, perLaunch], arguments: arguments)
            case .gpu:
                try launch(family: "gemm", kernel: "sgemm_tiled", options: options,
                           global: [(s.n + 63) / 64 * 16, (s.m + 63) / 64 * 16, perLaunch], local: [16, 16, 1],
                           arguments: arguments)
            }
        }
        // The in-order queue runs the kernel before any later reuse of the pooled scratch buffer.
        withExtendedLifetime(scratch) {}
    }
}
