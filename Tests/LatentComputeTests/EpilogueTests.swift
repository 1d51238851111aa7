import Foundation
@testable import LatentCompute
import Testing

/// Products with a bias and residual in their epilogue give the bits of the separate adds, on both
/// backends, and record the separate adds (with their gradients) while training.
@Suite struct EpilogueTests {
    static let backends = ["cpu", "opencl"]

    func device(_ backend: String) throws -> any Device {
        backend == "cpu" ? CPUDevice(threads: 2) : try DeviceSelection.resolve(.opencl)
    }

    @Test(arguments: backends) func matmulWithBiasAndResidualMatchesTheSeparateAdds(_ backend: String) throws {
        let device = try device(backend)
        let a = try Tensor.randomNormal([3, 5, 7], seed: 1, on: device)
        let b = try Tensor.randomNormal([9, 7], seed: 2, on: device)
        let bias = try Tensor.randomNormal([9], seed: 3, on: device)
        let residual = try Tensor.randomNormal([3, 5, 9], seed: 4, on: device)
        let fused = try withoutGrad { try a.matmul(b, transposeOther: true, bias: bias, residual: residual) }
        let separate = try residual + (a.matmul(b, transposeOther: true) + bias)
        #expect(fused.shape == [3, 5, 9])
        #expect(try fused.toArray() == separate.toArray())
    }

    @Test(arguments: backends) func convolutionWithAPerChannelAddendMatchesTheSeparateAdds(_ backend: String) throws {
        let device = try device(backend)
        let x = try Tensor.randomNormal([4, 3, 9, 8], seed: 5, on: device)
        let w = try Tensor.randomNormal([6, 3, 3, 3], seed: 6, on: device)
        let bias = try Tensor.randomNormal([6], seed: 7, on: device)
        let addend = try Tensor.randomNormal([4, 6, 1, 1], seed: 8, on: device)
        let fused = try withoutGrad { try x.conv2d(w, bias: bias, padding: 1, adding: addend) }
        let separate = try withoutGrad { try addend + x.conv2d(w, bias: bias, padding: 1) }
        #expect(try fused.toArray() == separate.toArray())
        // A 1×1 convolution with a full residual takes the product path.
        let w1 = try Tensor.randomNormal([6, 3, 1, 1], seed: 9, on: device)
        let residual = try Tensor.randomNormal([4, 6, 9, 8], seed: 10, on: device)
        let pointwise = try withoutGrad { try x.conv2d(w1, bias: bias, adding: residual) }
        let pointwiseSeparate = try withoutGrad { try residual + x.conv2d(w1, bias: bias) }
        #expect(try pointwise.toArray() == pointwiseSeparate.toArray())
    }

    /// Rows of 35 pixels: the CPU epilogue's 8-lane loop and its scalar tail, for a per-row addend
    /// (column stride 0) and a full residual (column stride 1), after a Winograd convolution.
    @Test func cpuEpilogueRowsWithATailMatchTheSeparateAdds() throws {
        let device = CPUDevice(threads: 2)
        let x = try Tensor.randomNormal([2, 8, 5, 7], seed: 14, on: device)
        let w = try Tensor.randomNormal([8, 8, 3, 3], seed: 15, on: device)
        let bias = try Tensor.randomNormal([8], seed: 16, on: device)
        let addend = try Tensor.randomNormal([2, 8, 1, 1], seed: 17, on: device)
        let residual = try Tensor.randomNormal([2, 8, 5, 7], seed: 18, on: device)
        let plain = try withoutGrad { try x.conv2d(w, bias: bias, padding: 1) }
        let withAddend = try withoutGrad { try x.conv2d(w, bias: bias, padding: 1, adding: addend) }
        let withResidual = try withoutGrad { try x.conv2d(w, bias: bias, padding: 1, adding: residual) }
        #expect(try withAddend.toArray() == (addend + plain).toArray())
        #expect(try withResidual.toArray() == (residual + plain).toArray())
        #expect(try plain.toArray() != x.conv2d(w, padding: 1).toArray())
    }

    @Test func gradientsFlowThroughTheAddendWhileRecording() throws {
        let device = CPUDevice(threads: 1)
        let x = try Tensor.randomNormal([2, 2, 5, 5], seed: 11, on: device)
        let w = try Tensor.randomNormal([3, 2, 3, 3], seed: 12, on: device).requiringGrad()
        let addend = try Tensor.randomNormal([2, 3, 1, 1], seed: 13, on: device).requiringGrad()
        let gradients = try x.conv2d(w, padding: 1, adding: addend).sum().backward()
        // d(sum)/d(addend[n, o]) = the 25 pixels it is added to.
        #expect(try gradients[addend]?.toArray() == [Float](repeating: 25, count: 6))
        #expect(gradients[w] != nil)
    }

    @Test func epilogueStridesCollapseAxisGroupsOrRefuse() {
        let shape = [4, 6, 5, 7], groups = [[0], [1], [2, 3]]
        #expect(Tensor.epilogueStrides([6, 1, 1], over: shape, groups: groups) == [0, 1, 0])
        #expect(Tensor.epilogueStrides([4, 6, 1, 1], over: shape, groups: groups) == [6, 1, 0])
        #expect(Tensor.epilogueStrides([4, 6, 5, 7], over: shape, groups: groups) == [210, 35, 1])
        // Broadcast along one pixel axis only: not one stride for the pixel group.
        #expect(Tensor.epilogueStrides([4, 6, 5, 1], over: shape, groups: groups) == nil)
    }
}
