/// The timed shapes of `latent bench kernels`, referenced by their kernels' specs. The model-level
/// shapes follow PyTorch's reference benchmark so the figures line up with PyTorch's.
extension KernelRegistry {
    static func streamLength(_ quick: Bool) -> Int { quick ? 1 << 22 : 1 << 24 }

    static func addBenchmark(_ quick: Bool) -> [BenchmarkCase] {
        let n = streamLength(quick)
        return [
            BenchmarkCase(op: "add", shape: "\(n)", bytes: Double(12 * n)) { device in
                let x = try Tensor.randomNormal([n], seed: 1, on: device)
                let y = try Tensor.randomNormal([n], seed: 2, on: device)
                let out = try Tensor.empty([n], on: device)
                let layout = BroadcastLayout(shapes: [[n], [n]])!
                return { try device.binary(.add, x.buffer, y.buffer, out.buffer, layout: layout) }
            }
        ]
    }

    static func sumBenchmark(_ quick: Bool) -> [BenchmarkCase] {
        let n = streamLength(quick)
        return [
            BenchmarkCase(op: "sum", shape: "\(n)", bytes: Double(4 * n)) { device in
                let x = try Tensor.randomNormal([n], seed: 1, on: device)
                let out = try Tensor.empty([], on: device)
                return { try device.reduce(.sum, x.buffer, out.buffer, outer: 1, length: n, inner: 1) }
            }
        ]
    }

    static func softmaxBenchmark(_ quick: Bool) -> [BenchmarkCase] {
        let rows = quick ? 1024 : 4096, columns = 1024
        return [
            BenchmarkCase(op: "softmax", shape: "\(rows)x\(columns)", bytes: Double(8 * rows * columns)) { device in
                let x = try Tensor.randomNormal([rows, columns], seed: 1, on: device)
                let out = try Tensor.empty([rows, columns], on: device)
                return { try device.softmax(x.buffer, out.buffer, rows: rows, columns: columns, log: false) }
            }
        ]
    }

    static func randnBenchmark(_ quick: Bool) -> [BenchmarkCase] {
        let n = streamLength(quick)
        return [
            BenchmarkCase(op: "randn", shape: "\(n)", bytes: Double(4 * n), items: Double(n)) { device in
                let out = try Tensor.empty([n], on: device)
                return { try device.randomNormal(out.buffer, count: n, seed: 7, offset: 0, mean: 0, std: 1) }
            }
        ]
    }

    /// Dropout (p = 0.1) over the random-stream length: one Philox word per element, like `rand`.
    static func dropoutBenchmark(_ quick: Bool) -> [BenchmarkCase] {
        let n = streamLength(quick)
        return [
            BenchmarkCase(op: "dropout", shape: "\(n) p 0.1", bytes: Double(8 * n), items: Double(n)) { device in
                let x = try Tensor.empty([n], on: device), out = try Tensor.empty([n], on: device)
                return { try device.dropout(x.buffer, out.buffer, count: n, probability: 0.1, seed: 7, offset: 0) }
            }
        ]
    }

    /// conv2d 3x3 64→64 on 64x64x28x28 through `Tensor.conv2d` (with its bias), forward, and
    /// forward + backward (input and weight gradients).
    static func conv2dBenchmarks(_ quick: Bool) -> [BenchmarkCase] {
        [false, true].map { backward in
            let flops = 2.0 * 64 * 64 * 28 * 28 * 64 * 9 * (backward ? 3 : 1)
            return BenchmarkCase(op: backward ? "conv2d_backward" : "conv2d", shape: "64x64x28x28 k3 64->64", flops: flops) { device in
                let x = try Tensor.randomNormal([64, 64, 28, 28], seed: 1, on: device).requiringGrad()
                let w = try Tensor.randomNormal([64, 64, 3, 3], seed: 2, std: 0.05, on: device).requiringGrad()
                let b = try Tensor.zeros([64], on: device).requiringGrad()
                if !backward { return { _ = try withoutGrad { try x.conv2d(w, bias: b, padding: 1) } } }
                return { _ = try x.conv2d(w, bias: b, padding: 1).sum().backward() }
            }
        }
    }

    static func attentionBenchmarks(_ quick: Bool) -> [BenchmarkCase] {
        let shapes = quick ? [(64, 49, 128)] : [(64, 49, 128), (16 * 8, 256, 64)]
        return shapes.map { batch, length, dimension in
            BenchmarkCase(
                op: "attention", shape: "\(batch)x\(length)x\(dimension)",
                flops: 4.0 * Double(batch * length * length * dimension)
            ) { device in
                let q = try Tensor.randomNormal([batch, length, dimension], seed: 1, on: device)
                let k = try Tensor.randomNormal([batch, length, dimension], seed: 2, on: device)
                let v = try Tensor.randomNormal([batch, length, dimension], seed: 3, on: device)
                return { _ = try withoutGrad { try Tensor.attention(query: q, key: k, value: v) } }
            }
        }
    }

    static func codebookBenchmarks(_ quick: Bool) -> [BenchmarkCase] {
        let shapes = quick ? [(3136, 256, 64)] : [(3136, 256, 64), (65536, 1024, 256)]
        return shapes.map { n, k, d in
            BenchmarkCase(op: "codebook", shape: "N\(n) K\(k) D\(d)", flops: 2.0 * Double(n * k * d)) { device in
                let x = try Tensor.randomNormal([n, d], seed: 1, on: device)
                let e = try Tensor.randomNormal([k, d], seed: 2, on: device)
                return { _ = try x.nearestCode(in: e) }
            }
        }
    }

    static func adamBenchmark(_ quick: Bool) -> [BenchmarkCase] {
        let count = 10_000_000
        return [
            BenchmarkCase(op: "adam", shape: "\(count)", bytes: Double(count * 4 * 7)) { device in
                let p = try Tensor.randomNormal([count], seed: 1, on: device)
                let g = try Tensor.randomNormal([count], seed: 2, on: device)
                let m = try Tensor.zeros([count], on: device), v = try Tensor.zeros([count], on: device)
                let step = StepCounter()
                return { try p.adamStep(gradient: g, m: m, v: v, hyper: AdamHyperparameters(learningRate: 1e-3, step: step.next())) }
            }
        ]
    }

    /// The asynchrony check: `length` chained elementwise kernels enqueued back to back and waited
    /// for once, against the sum of the same kernels each waited for alone. Returns (chained, summed) ms.
    public static func chain(
        on device: any Device, count n: Int = 1 << 20, length: Int = 100,
        time: (() throws -> Void) throws -> Double
    ) throws -> (Double, Double) {
        let x = try Tensor.randomNormal([n], seed: 3, on: device)
        let y = try Tensor.empty([n], on: device)
        let step = { (i: Int) throws in
            if i % 2 == 0 {
                try device.affine(x.buffer, y.buffer, count: n, scale: 0.5, shift: 1)
            } else {
                try device.affine(y.buffer, x.buffer, count: n, scale: 0.5, shift: 1)
            }
        }
        try step(0)
        let chained = try time { for i in 0..<length { try step(i) } }
        var summed = 0.0
        for i in 0..<length { summed += try time { try step(i) } }
        return (chained, summed)
    }
}

/// Adam's step number across timed calls (the closure runs many times).
final class StepCounter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
