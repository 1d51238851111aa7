import Latent
import LatentCompute

/// The training-kernel and model benchmarks of issues 3 and 6, with the shapes of
/// tools/bench_torch.py so the figures line up with PyTorch's.
public enum TrainingBenchmarks {
    public static func cases(quick: Bool) -> [BenchmarkCase] {
        var cases = [conv2d(backward: false), conv2d(backward: true),
                     attention(batch: 64, length: 49, dimension: 128),
                     codebook(n: 3136, k: 256, d: 64), adam(count: 10_000_000), unetForward(batch: quick ? 8 : 64)]
        if !quick {
            cases += [attention(batch: 16 * 8, length: 256, dimension: 64), codebook(n: 65536, k: 1024, d: 256)]
        }
        return cases
    }

    /// conv2d 3x3 64→64 on 64x64x28x28, forward or forward + backward (input and weight gradients).
    static func conv2d(backward: Bool) -> BenchmarkCase {
        let flops = 2.0 * 64 * 64 * 28 * 28 * 64 * 9 * (backward ? 3 : 1)
        return BenchmarkCase(op: backward ? "conv2d_backward" : "conv2d", shape: "64x64x28x28 k3 64->64", flops: flops) { device in
            let x = try Tensor.randomNormal([64, 64, 28, 28], seed: 1, on: device).requiringGrad()
            let w = try Tensor.randomNormal([64, 64, 3, 3], seed: 2, std: 0.05, on: device).requiringGrad()
            let b = try Tensor.zeros([64], on: device).requiringGrad()
            if !backward { return { _ = try withoutGrad { try x.conv2d(w, bias: b, padding: 1) } } }
            return { _ = try x.conv2d(w, bias: b, padding: 1).sum().backward() }
        }
    }

    static func attention(batch: Int, length: Int, dimension: Int) -> BenchmarkCase {
        BenchmarkCase(op: "attention", shape: "\(batch)x\(length)x\(dimension)",
                      flops: 4.0 * Double(batch * length * length * dimension)) { device in
            let q = try Tensor.randomNormal([batch, length, dimension], seed: 1, on: device)
            let k = try Tensor.randomNormal([batch, length, dimension], seed: 2, on: device)
            let v = try Tensor.randomNormal([batch, length, dimension], seed: 3, on: device)
            return { _ = try withoutGrad { try Tensor.attention(query: q, key: k, value: v) } }
        }
    }

    static func codebook(n: Int, k: Int, d: Int) -> BenchmarkCase {
        BenchmarkCase(op: "codebook", shape: "N\(n) K\(k) D\(d)", flops: 2.0 * Double(n * k * d)) { device in
            let x = try Tensor.randomNormal([n, d], seed: 1, on: device)
            let e = try Tensor.randomNormal([k, d], seed: 2, on: device)
            let indices = try Tensor.empty([n], dtype: .int32, on: device)
            let distances = try Tensor.empty([n], on: device)
            return {
                try device.nearestCode(x.buffer, codebook: e.buffer, indices: indices.buffer, distances: distances.buffer,
                                       count: n, codes: k, dimension: d)
            }
        }
    }

    static func adam(count: Int) -> BenchmarkCase {
        BenchmarkCase(op: "adam", shape: "\(count)", bytes: Double(count * 4 * 7)) { device in
            let p = try Tensor.randomNormal([count], seed: 1, on: device)
            let g = try Tensor.randomNormal([count], seed: 2, on: device)
            let m = try Tensor.zeros([count], on: device), v = try Tensor.zeros([count], on: device)
            var step = 0
            return {
                step += 1
                try device.adamStep(p.buffer, gradient: g.buffer, m: m.buffer, v: v.buffer, count: count,
                                    hyper: AdamHyperparameters(learningRate: 1e-3, step: step))
            }
        }
    }

    /// One fmnist-small U-Net forward (eval mode, no gradients) at a batch size; 2.21 GFLOP per image.
    static func unetForward(batch: Int) -> BenchmarkCase {
        BenchmarkCase(op: "unet_forward", shape: "batch \(batch) fmnist-small", flops: 2.21e9 * Double(batch),
                      items: Double(batch)) { device in
            let unet = try UNet(.fmnistSmall(), initializer: ParameterInitializer(seed: 0, device: device))
            unet.eval()
            let x = try Tensor.randomNormal([batch, 1, 28, 28], seed: 1, on: device)
            let t = (0..<batch).map { $0 * 997 % 1000 }
            return { _ = try withoutGrad { try unet(x, timesteps: t) } }
        }
    }
}
