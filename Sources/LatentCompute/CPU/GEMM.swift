// Matrix multiply on the CPU backend: the batched entry point. The packed, blocked SIMD core is
// SGEMMKernel in GEMMKernel.swift.

extension CPUDevice {
    public func gemm(_ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape) throws {
        let s = shape
        guard s.batch >= 0, s.m >= 0, s.n >= 0, s.k >= 0, s.strideA >= 0, s.strideB >= 0, s.strideC >= 0 else {
            throw ComputeError.invalidArgument("gemm: negative size in \(s)")
        }
        if s.batch == 0 || s.m == 0 || s.n == 0 { return }
        let aBuffer = try cpu(a), bBuffer = try cpu(b), cBuffer = try cpu(c)
        // Elements each operand must hold (the last batch's matrix ends there).
        let needA = s.k == 0 ? 0 : (s.batch - 1) * s.strideA + s.m * s.k
        let needB = s.k == 0 ? 0 : (s.batch - 1) * s.strideB + s.k * s.n
        let needC = (s.batch - 1) * s.strideC + s.m * s.n
        guard needA * 4 <= aBuffer.byteCount, needB * 4 <= bBuffer.byteCount, needC * 4 <= cBuffer.byteCount else {
            throw ComputeError.invalidArgument("gemm \(s): a buffer is too small")
        }
        var problems: [SGEMMKernel.Problem] = []
        problems.reserveCapacity(s.batch)
        for batch in 0..<s.batch {
            problems.append(
                SGEMMKernel.Problem(
                    m: s.m, n: s.n, k: s.k, transposeA: s.transposeA, transposeB: s.transposeB,
                    alpha: s.alpha, beta: s.beta,
                    a: UnsafePointer(aBuffer.floats + batch * s.strideA),
                    b: UnsafePointer(bBuffer.floats + batch * s.strideB),
                    c: cBuffer.floats + batch * s.strideC,
                    lda: s.transposeA ? s.m : s.k, ldb: s.transposeB ? s.k : s.n, ldc: s.n))
        }
        // A C stride of 0 (or overlapping C matrices) would race across threads: run those serially.
        let overlapping = s.batch > 1 && s.strideC < s.m * s.n
        SGEMMKernel.runBatched(problems: problems, threads: overlapping ? 1 : threads)
    }
}
