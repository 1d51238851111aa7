import Foundation
import LatentCompute
import Testing

/// The OpenCL device every parity test runs on (PoCL in CI). A missing OpenCL device is a failure,
/// never a skip: the suite exists to exercise the real kernels.
func openCLDevice() throws -> any Device {
    try DeviceSelection.resolve(.opencl)
}

@Suite struct ParityTests {
    @Test func everyKernelMatchesTheCPUBackendOnOpenCL() throws {
        let device = try openCLDevice()
        let results = ParitySuite.compareWithCPU(on: device)
        #expect(!results.isEmpty)
        for r in results where !r.ok { Issue.record(Comment(rawValue: r.summary)) }
    }

    @Test func everyCPUKernelMatchesItsFloat64Reference() {
        let results = ParitySuite.compareCPUWithFloat64()
        #expect(!results.isEmpty)
        for r in results where !r.ok { Issue.record(Comment(rawValue: r.summary)) }
    }

    /// Every kernel of the protocol is registered, so it is parity-tested and benchmarkable.
    @Test func registryCoversTheKernelSet() {
        let names = Set(KernelRegistry.all.map(\.name))
        var expected: Set<String> = ["fill", "copy", "copy_strided", "gather", "scatter_add", "where", "clamp",
                                     "affine", "axpby", "softmax", "log_softmax", "sgemm", "rand", "randn"]
        expected.formUnion(UnaryOp.allCases.map(\.name))
        expected.formUnion(BinaryOp.allCases.map(\.name))
        expected.formUnion(ReduceOp.allCases.map(\.name))
        expected.formUnion(["im2col", "col2im", "group_norm", "group_norm_backward", "softmax_backward",
                            "log_softmax_backward", "dropout", "one_hot", "bce_with_logits", "attention",
                            "attention_backward", "nearest_code", "adam", "adamw", "sgd"])
        expected.formUnion(UnaryOp.allCases.map { "unary_backward_\($0.name)" })
        let missing = expected.subtracting(names)
        #expect(missing.isEmpty, "kernels without parity registration: \(missing.sorted())")
        for spec in KernelRegistry.all {
            #expect(!spec.cases.isEmpty, "\(spec.name) has no cases")
        }
    }

    /// The comparison itself must notice a wrong answer.
    @Test func compareDetectsDifferences() {
        let (nmse, maxAbs, firstBad) = ParitySuite.compare([[1, 2, 3]], [[1, 2, 3.5]])
        #expect(nmse > 1e-3)
        #expect(maxAbs == 0.5)
        #expect(firstBad?.0 == 0 && firstBad?.1 == 2)
        #expect(ParitySuite.compare([[1, 2]], [[1, 2]]).nmse == 0)
        #expect(ParitySuite.compare([[1]], [[1, 2]]).nmse == .infinity)
        #expect(ParitySuite.compare([[.nan]], [[1]]).nmse.isNaN)
    }
}
