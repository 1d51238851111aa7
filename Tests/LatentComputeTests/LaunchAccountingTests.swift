import Foundation
@testable import LatentCompute
import Testing

/// The per-kernel launch breakdown and the LATENT_OPENCL_SYNC debugging mode.
@Suite struct LaunchAccountingTests {
    @Test func launchesAreCountedByKernelName() throws {
        let device = try DeviceSelection.resolve(.opencl)
        let before = device.activity
        let x = try Tensor([1, 2, 3, 4], shape: [4], on: device)
        _ = try (x * x).exp().sum().item()
        let d = device.activity.since(before)
        // The device is shared with tests running in parallel: the breakdown must add up to the
        // launches, and this test's elementwise kernels must be among them.
        #expect(d.launchesByKernel.values.reduce(0, +) == d.launches, "\(d.launchesByKernel)")
        #expect(d.launchesByKernel.count >= 2, "\(d.launchesByKernel)")
    }

    @Test func syncModeFinishesTheQueueAfterEveryLaunch() throws {
        let device = try concreteOpenCLDevice()
        let wasOn = device.synchronizesEveryLaunch
        device.synchronizesEveryLaunch = true
        defer { device.synchronizesEveryLaunch = wasOn }
        let before = device.activity
        let x = try Tensor([1, 2, 3, 4], shape: [4], on: device)
        let y = try (x * x).exp()
        let d = device.activity.since(before)
        // Every launch in the window waited (parallel tests' reads may add waits, never launches without one).
        #expect(d.launches >= 2 && d.waits >= d.launches, "\(d)")
        let expected = [1.0, 4, 9, 16].map { Foundation.exp($0) }
        for (value, want) in zip(try y.toArray(), expected) { #expect(abs(Double(value) - want) <= 1e-5 * want) }
    }

    @Test func syncModeIsReadFromTheEnvironment() {
        setenv("LATENT_OPENCL_SYNC", "1", 1)
        #expect(OpenCLDevice.synchronizesEveryLaunchByDefault)
        setenv("LATENT_OPENCL_SYNC", "0", 1)
        #expect(!OpenCLDevice.synchronizesEveryLaunchByDefault)
        unsetenv("LATENT_OPENCL_SYNC")
        #expect(!OpenCLDevice.synchronizesEveryLaunchByDefault)
    }
}
