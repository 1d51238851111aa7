import Testing
@testable import LatentCompute

/// Device faults that the code cannot recover from reach the user as one clear line that says
/// what happened and what to do next.
@Suite struct DeviceFaultMessageTests {
    @Test func lostDeviceAndExhaustedResourcesSayHowToContinue() {
        for code: Int32 in [-4, -5, -6] {
            let text = ComputeError.openCL(call: "clFinish", code: code).description
            #expect(text.hasPrefix("clFinish failed with \(openCLErrorName(code)) (\(code))"), "\(text)")
            #expect(text.contains("--resume") && !text.contains("\n"), "\(text)")
        }
        #expect(ComputeError.openCL(call: "clFinish", code: -2).description.contains("another --device"))
        // A programming error keeps the bare message: no advice that would mislead.
        #expect(
            ComputeError.openCL(call: "clSetKernelArg", code: -49).description
                == "clSetKernelArg failed with CL_INVALID_ARG_INDEX (-49)")
    }

    @Test func outOfMemoryNamesTheSizeAndTheDevice() {
        let text = ComputeError.outOfMemory(bytes: 1 << 40, device: "pocl-cpu").description
        #expect(text == "out of memory: could not allocate 1099511627776 bytes on pocl-cpu; use a smaller batch or model")
    }
}
