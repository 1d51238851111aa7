import Latent
import LatentCompute

/// Model-level benchmarks that are not one kernel: the U-Net forward (the shipped DDPM's architecture at a sampling batch).
public enum ModelBenchmarks {
    public static func cases(quick: Bool) -> [BenchmarkCase] {
        [unetForward(batch: quick ? 8 : 64)]
    }

    /// One fmnist-small U-Net forward (eval mode, no gradients) at a batch size; 2.21 GFLOP per image.
    static func unetForward(batch: Int) -> BenchmarkCase {
        BenchmarkCase(
            op: "unet_forward", shape: "batch \(batch) fmnist-small", flops: 2.21e9 * Double(batch),
            items: Double(batch)
        ) { device in
            let unet = try UNet(.fmnistSmall(), initializer: ParameterInitializer(seed: 0, device: device))
            unet.eval()
            let x = try Tensor.randomNormal([batch, 1, 28, 28], seed: 1, on: device)
            let t = (0..<batch).map { $0 * 997 % 1000 }
            return { _ = try withoutGrad { try unet(x, timesteps: t) } }
        }
    }
}
