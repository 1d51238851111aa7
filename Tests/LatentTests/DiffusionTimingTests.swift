import Foundation
import LatentCompute
import Testing
@testable import Latent

/// fmnist-small U-Net forward timings at batch 64 (eval, no gradients), CPU and OpenCL.
/// Off by default: LATENT_DIFFUSION_TIMING=1 swift test -c release … --filter DiffusionTiming
@Suite struct DiffusionTimingTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LATENT_DIFFUSION_TIMING"] != nil))
    func fmnistSmallForwardAtBatch64() throws {
        for device in [CPUDevice.shared as any Device, try DeviceSelection.resolve(.opencl)] {
            let unet = try UNet(.fmnistSmall(), initializer: ParameterInitializer(seed: 0, device: device))
            unet.eval()
            let x = try Tensor.randomNormal([64, 1, 28, 28], seed: 1, on: device)
            let t = (0..<64).map { $0 * 15 }
            var times: [Double] = []
            for _ in 0..<3 {
                let start = Date()
                _ = try withoutGrad { try unet(x, timesteps: t).toArray() }
                times.append(Date().timeIntervalSince(start))
            }
            print("TIMING fmnist-small forward batch 64 on \(device.name): \(times.map { String(format: "%.3f s", $0) })")
        }
    }
}
