import LatentCompute

/// The foundation's benchmarks: SGEMM, an elementwise op, a reduction, softmax and the normal sampler.
public enum KernelBenchmarks {
    public static func cases(quick: Bool) -> [BenchmarkCase] {
        let gemmSizes = quick ? [256, 1024] : [256, 1024, 2048]
        let n = quick ? 1 << 22 : 1 << 24
        return gemmSizes.map(sgemm) + [add(n), sum(n), softmax(rows: quick ? 1024 : 4096, columns: 1024), randn(n)]
    }

    static func sgemm(_ size: Int) -> BenchmarkCase {
        let shape = GemmShape(m: size, n: size, k: size)
        return BenchmarkCase(op: "sgemm", shape: "\(size)x\(size)x\(size)", flops: shape.flops) { device in
            let a = try Tensor.randomNormal([size, size], seed: 1, on: device)
            let b = try Tensor.randomNormal([size, size], seed: 2, on: device)
            let c = try Tensor.empty([size, size], on: device)
            return { try device.gemm(a.buffer, b.buffer, c.buffer, shape: shape) }
        }
    }

    static func add(_ n: Int) -> BenchmarkCase {
        BenchmarkCase(op: "add", shape: "\(n)", bytes: Double(12 * n)) { device in
            let x = try Tensor.randomNormal([n], seed: 1, on: device)
            let y = try Tensor.randomNormal([n], seed: 2, on: device)
            let out = try Tensor.empty([n], on: device)
            let layout = BroadcastLayout(shapes: [[n], [n]])!
            return { try device.binary(.add, x.buffer, y.buffer, out.buffer, layout: layout) }
        }
    }

    static func sum(_ n: Int) -> BenchmarkCase {
        BenchmarkCase(op: "sum", shape: "\(n)", bytes: Double(4 * n)) { device in
            let x = try Tensor.randomNormal([n], seed: 1, on: device)
            let out = try Tensor.empty([], on: device)
            return { try device.reduce(.sum, x.buffer, out.buffer, outer: 1, length: n, inner: 1) }
        }
    }

    static func softmax(rows: Int, columns: Int) -> BenchmarkCase {
        BenchmarkCase(op: "softmax", shape: "\(rows)x\(columns)", bytes: Double(8 * rows * columns)) { device in
            let x = try Tensor.randomNormal([rows, columns], seed: 1, on: device)
            let out = try Tensor.empty([rows, columns], on: device)
            return { try device.softmax(x.buffer, out.buffer, rows: rows, columns: columns, log: false) }
        }
    }

    static func randn(_ n: Int) -> BenchmarkCase {
        BenchmarkCase(op: "randn", shape: "\(n)", bytes: Double(4 * n), items: Double(n)) { device in
            let out = try Tensor.empty([n], on: device)
            return { try device.randomNormal(out.buffer, count: n, seed: 7, offset: 0, mean: 0, std: 1) }
        }
    }

    /// The asynchrony check: 100 chained elementwise kernels enqueued back to back and waited for
    /// once, against the sum of the same kernels each waited for alone. Returns (chained, summed) ms.
    public static func chain(on device: any Device, count n: Int = 1 << 20, length: Int = 100) throws -> (Double, Double) {
        let x = try Tensor.randomNormal([n], seed: 3, on: device)
        let y = try Tensor.empty([n], on: device)
        let step = { (i: Int) throws in
            if i % 2 == 0 { try device.affine(x.buffer, y.buffer, count: n, scale: 0.5, shift: 1) }
            else { try device.affine(y.buffer, x.buffer, count: n, scale: 0.5, shift: 1) }
        }
        try step(0)
        let chained = try BenchmarkRunner.time(on: device) { for i in 0..<length { try step(i) } }
        var summed = 0.0
        for i in 0..<length { summed += try BenchmarkRunner.time(on: device) { try step(i) } }
        return (chained, summed)
    }
}
