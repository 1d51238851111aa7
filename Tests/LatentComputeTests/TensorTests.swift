import Foundation
import LatentCompute
import Testing

@Suite struct TensorTests {
    let cpu = CPUDevice.shared

    @Test func deviceRequestsParse() throws {
        #expect(try DeviceRequest(parsing: "auto") == .auto)
        #expect(try DeviceRequest(parsing: "CPU") == .cpu)
        #expect(try DeviceRequest(parsing: "opencl") == .opencl)
        #expect(try DeviceRequest(parsing: "opencl:0:1") == .openclDevice(platform: 0, device: 1))
        for bad in ["gpu", "opencl:1", "opencl:a:b", "opencl:-1:0", ""] {
            #expect(throws: ComputeError.self) { try DeviceRequest(parsing: bad) }
        }
    }

    @Test func autoSelectionPicksOnlyGPUsOrAccelerators() {
        func info(_ type: String, _ d: Int) -> OpenCLDeviceInfo {
            OpenCLDeviceInfo(
                platformIndex: 0, deviceIndex: d, platformName: "p", name: "d\(d)", type: type,
                computeUnits: 1, globalMemoryBytes: 1, localMemoryBytes: 1, maxWorkGroupSize: 1,
                fp16: false, fp64: false, driverVersion: "", openCLCVersion: "")
        }
        #expect(DeviceSelection.autoChoice([info("cpu", 0)]) == nil)
        #expect(DeviceSelection.autoChoice([info("cpu", 0), info("gpu", 1)])?.deviceIndex == 1)
    }

    @Test func broadcastLayoutsCollapseAndReject() throws {
        let layout = try #require(BroadcastLayout(shapes: [[2, 3, 4], [4]]))
        #expect(layout.shape == [6, 4])
        #expect(layout.operandStrides == [[4, 1], [0, 1]])
        let middle = try #require(BroadcastLayout(shapes: [[2, 3, 4], [2, 1, 4]]))
        #expect(middle.shape == [2, 3, 4])
        #expect(middle.operandStrides == [[12, 4, 1], [4, 0, 1]])
        #expect(BroadcastLayout(shapes: [[2, 3], [4, 3]]) == nil)
        #expect(try #require(BroadcastLayout(shapes: [[], []])).shape == [])
    }

    @Test func shapeErrorsAreThrownNotCrashes() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: cpu)
        let b = try Tensor([1, 2, 3, 4], shape: [2, 2], on: cpu)
        #expect(throws: ComputeError.self) { try Tensor([1, 2, 3], shape: [2, 2], on: cpu) }
        #expect(throws: ComputeError.self) { try a.matmul(a) }
        #expect(throws: ComputeError.self) { try a.reshaped([4, 2]) }
        #expect(throws: ComputeError.self) { try a.slice(axis: 1, 2..<4) }
        #expect(throws: ComputeError.self) { try a.sum(axis: 2) }
        #expect(throws: ComputeError.self) { try Tensor.concat([a, b], axis: 0) }
        #expect(throws: ComputeError.self) { try a.permuted([0, 0]) }
        #expect(throws: ComputeError.self) { try Tensor(indices: [0], shape: [1], on: cpu).toArray() }
        #expect(try a.reshaped([3, -1]).shape == [3, 2])
    }

    @Test func operationsComputeOnTheCPU() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: cpu)
        let row = try Tensor([10, 20, 30], shape: [3], on: cpu)
        #expect(try (a + row).toArray() == [11, 22, 33, 14, 25, 36])
        #expect(try a.transposed().toArray() == [1, 4, 2, 5, 3, 6])
        #expect(try a.matmul(a, transposeOther: true).toArray() == [14, 32, 32, 77])
        #expect(try a.sum(axis: 0).toArray() == [5, 7, 9])
        #expect(try a.sum().item() == 21)
        #expect(try a.argmax(axis: 1).toIndices() == [2, 2])
        #expect(try a.slice(axis: 1, 1..<3).toArray() == [2, 3, 5, 6])
        #expect(try Tensor.concat([a, row.reshaped([1, 3])], axis: 0).toArray() == [1, 2, 3, 4, 5, 6, 10, 20, 30])
        #expect(try row.expanded(to: [2, 3]).toArray() == [10, 20, 30, 10, 20, 30])
        let idx = try Tensor(indices: [1, 0, 1], shape: [3], on: cpu)
        #expect(try a.gather(idx).toArray() == [4, 5, 6, 1, 2, 3, 4, 5, 6])
        #expect(try a.gather(idx).scatterAdd(idx, rows: 2).toArray() == [1, 2, 3, 8, 10, 12])
    }
}

/// `applyingInPlace` (the sampler's memory saving): in inference it overwrites the tensor's own
/// buffer with the same values `apply` gives, on both backends; while a gradient is recorded it
/// leaves its input alone and differentiates like `apply`.
@Suite struct InPlaceActivationTests {
    @Test(arguments: ["cpu", "opencl"]) func inferenceReusesTheBufferAndMatchesApply(_ backend: String) throws {
        let device: any Device = backend == "cpu" ? CPUDevice.shared : try openCLDevice()
        let values: [Float] = (0..<37).map { Float($0) * 0.37 - 6 }
        let expected = try Tensor(values, shape: [37], on: device).silu().toArray()
        let x = try Tensor(values, shape: [37], on: device)
        let y = try withoutGrad { try x.applyingInPlace(.silu) }
        #expect(y.buffer === x.buffer)
        #expect(try x.toArray() == expected)
    }

    @Test func recordingKeepsTheInputAndTheGradient() throws {
        let values: [Float] = [-2, -0.5, 0, 0.5, 2]
        let x = try Tensor(values, shape: [5], on: CPUDevice.shared).requiringGrad()
        let y = try x.applyingInPlace(.silu)
        #expect(y.buffer !== x.buffer)
        #expect(try x.toArray() == values)
        let gradients = try y.sum().backward()
        let expected = values.map { v -> Float in
            let s = 1 / (1 + Foundation.exp(-v))
            return s * (1 + v * (1 - s))
        }
        for (g, e) in zip(try #require(gradients[x]).toArray(), expected) { #expect(abs(g - e) < 1e-5) }
    }
}

/// The fused GroupNorm → SiLU runs only without a gradient to record, and equals the two steps.
@Suite struct GroupNormSiLUTests {
    @Test(arguments: ["cpu", "opencl"]) func fusedEqualsComposedAndKeepsGradients(_ backend: String) throws {
        let device = try DeviceSelection.resolve(try DeviceRequest(parsing: backend))
        var g = ParityInputs(seed: 5)
        let x = try Tensor(g.floats(2 * 8 * 5), shape: [2, 8, 5], on: device)
        let gamma = try Tensor(g.floats(8, low: 0.5, high: 1.5), shape: [8], on: device)
        let beta = try Tensor(g.floats(8), shape: [8], on: device)
        let fused = try withoutGrad { try x.groupNormSiLU(groups: 4, gamma: gamma, beta: beta) }.toArray()
        let composed = try withoutGrad { try x.groupNorm(groups: 4, gamma: gamma, beta: beta).silu() }.toArray()
        for (a, b) in zip(fused, composed) { #expect(abs(a - b) <= 1e-6) }
        // While recording, the result has a gradient path back to x.
        let tracked = x.requiringGrad()
        let y = try tracked.groupNormSiLU(groups: 4, gamma: gamma, beta: beta)
        #expect(y.gradFunction != nil)
        #expect(try y.sum().backward()[tracked] != nil)
    }
}

/// Without a gradient to record, a 1×1 convolution runs as a plain product; it must equal the
/// convolution kernels' result.
@Suite struct PointwiseConvolutionTests {
    @Test(arguments: ["cpu", "opencl"]) func inferenceProductEqualsTheConvolution(_ backend: String) throws {
        let device = try DeviceSelection.resolve(try DeviceRequest(parsing: backend))
        var g = ParityInputs(seed: 9)
        let x = try Tensor(g.floats(3 * 5 * 4 * 6), shape: [3, 5, 4, 6], on: device)
        let weight = try Tensor(g.floats(7 * 5), shape: [7, 5, 1, 1], on: device)
        let bias = try Tensor(g.floats(7), shape: [7], on: device)
        let product = try withoutGrad { try x.conv2d(weight, bias: bias) }
        let convolution = try x.requiringGrad().conv2d(weight, bias: bias)
        #expect(product.shape == [3, 7, 4, 6] && product.gradFunction == nil)
        #expect(convolution.gradFunction != nil)
        for (a, b) in zip(try product.toArray(), try convolution.toArray()) { #expect(abs(a - b) <= 1e-5) }
    }
}
