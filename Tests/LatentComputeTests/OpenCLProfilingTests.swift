import Foundation
import Testing

@testable import LatentCompute

/// LATENT_OPENCL_PROFILE: per-kernel device time from OpenCL profiling events.
@Suite struct OpenCLProfilingTests {
    @Test func profiledLaunchesRecordDeviceTimePerKernel() throws {
        let device = try concreteOpenCLDevice()
        let wasOn = device.profilesKernels
        device.profilesKernels = true
        defer { device.profilesKernels = wasOn }
        let before = device.activity
        let x = try Tensor.randomNormal([256, 256], seed: 3, on: device)
        _ = try x.matmul(x).sum().item()
        let d = device.activity.since(before)
        // Tests running in parallel may add kernels; every timed kernel was launched, and this
        // test's product was timed.
        #expect(!d.nanosecondsByKernel.isEmpty, "\(d)")
        for kernel in d.nanosecondsByKernel.keys { #expect(d.launchesByKernel[kernel] != nil, "\(kernel)") }
        #expect((d.nanosecondsByKernel["sgemm_cpu"] ?? 0) + (d.nanosecondsByKernel["sgemm_tiled"] ?? 0) > 0, "\(d.nanosecondsByKernel)")
    }

    @Test func profilingIsReadFromTheEnvironment() {
        setenv("LATENT_OPENCL_PROFILE", "1", 1)
        #expect(OpenCLDevice.profilesKernelsByDefault)
        setenv("LATENT_OPENCL_PROFILE", "0", 1)
        #expect(!OpenCLDevice.profilesKernelsByDefault)
        unsetenv("LATENT_OPENCL_PROFILE")
        #expect(!OpenCLDevice.profilesKernelsByDefault)
    }
}
