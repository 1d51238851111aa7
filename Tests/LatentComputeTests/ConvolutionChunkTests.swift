@testable import LatentCompute
import Testing

/// Large forward convolutions run in chunks of images so their im2col columns stay bounded; the
/// chunks must give exactly what one pass over the whole batch gives.
@Suite struct ConvolutionChunkTests {
    @Test(arguments: [Backend.cpu, .opencl])
    func chunkedForwardEqualsOnePass(_ backend: Backend) throws {
        let device: any Device = backend == .cpu ? CPUDevice.shared : try DeviceSelection.resolve(.opencl)
        let x = try Tensor.randomNormal([5, 3, 6, 6], seed: 1, on: device).requiringGrad()
        let w = try Tensor.randomNormal([4, 3, 3, 3], seed: 2, on: device).requiringGrad()
        let b = try Tensor.randomNormal([4], seed: 3, on: device).requiringGrad()
        let oneImage = 3 * 9 * 36 * 4
        func run(budget: Int) throws -> (out: [Float], gx: [Float], gw: [Float]) {
            let y = try x.conv2d(w, bias: b, stride: 1, padding: 1, dilation: 1, groups: 1, columnBudgetBytes: budget)
            let g = try (y * y).sum().backward()
            return (try y.toArray(), try g[x]!.toArray(), try g[w]!.toArray())
        }
        let whole = try run(budget: 1 << 30)
        for budget in [1, oneImage, 2 * oneImage + 5] {
            let chunked = try run(budget: budget)
            #expect(chunked.out == whole.out, "budget \(budget)")
            #expect(chunked.gx == whole.gx && chunked.gw == whole.gw, "budget \(budget)")
        }
    }
}
