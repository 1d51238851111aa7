import Foundation
@testable import LatentCompute
import Testing

/// The conv, norm, backward and optim families beyond the parity registry: convolution at several
/// CPU thread counts, finite-difference checks of the analytic references (so a wrong formula cannot
/// hide by being wrong the same way in kernel and reference), the im2col/col2im adjoint identity
/// and optimizer steps against hand-computed PyTorch values.
@Suite struct TrainingKernelTests {
    /// The CPU convolution cuts the batch by thread count (several images per product, or the
    /// composite path when there are fewer tasks than threads): every cut must give the same answer.
    @Test(arguments: [1, 3, 5])
    func cpuConvolutionMatchesFloat64ForAnyThreadCount(threads: Int) {
        let results = ParitySuite.compareCPUWithFloat64(
            kernels: KernelRegistry.convProductKernels,
            cpu: CPUDevice(threads: threads))
        // 16 geometries × (forward, input gradient, weight gradient): a case that goes missing fails here.
        #expect(results.filter { $0.variant == "native" }.count == 48)
        for r in results where !r.ok { Issue.record(Comment(rawValue: "threads \(threads): " + r.summary)) }
    }

    // MARK: finite differences of the Float64 references

    /// Central difference of f at x along coordinate i.
    private func derivative(_ f: ([Double]) -> Double, at x: [Double], _ i: Int, h: Double = 1e-5) -> Double {
        var plus = x, minus = x
        plus[i] += h
        minus[i] -= h
        return (f(plus) - f(minus)) / (2 * h)
    }

    private func expectClose(_ a: Double, _ b: Double, _ what: String, relative: Double = 1e-6) {
        #expect(abs(a - b) <= relative * max(1, abs(b)), "\(what): analytic \(a), numeric \(b)")
    }

    @Test(arguments: [
        GroupNormShape(batch: 2, channels: 4, spatial: 3, groups: 2),
        GroupNormShape(batch: 3, channels: 5, spatial: 1, groups: 1),
    ])
    func groupNormBackwardReferenceMatchesFiniteDifferences(shape s: GroupNormShape) {
        var inputs = ParityInputs(seed: 3)
        let count = s.batch * s.channels * s.spatial
        let x = inputs.floats(count, low: -2, high: 2).map(Double.init)
        let gamma = inputs.floats(s.channels, low: 0.5, high: 1.5).map(Double.init)
        let beta = inputs.floats(s.channels).map(Double.init)
        let dy = inputs.floats(count).map(Double.init)
        func loss(_ x: [Double], _ gamma: [Double], _ beta: [Double]) -> Double {
            zip(referenceGroupNorm(x, gamma: gamma, beta: beta, shape: s).out, dy).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let analytic = referenceGroupNormBackward(dy, x: x, gamma: gamma, shape: s)
        for i in 0..<count { expectClose(analytic.gradX[i], derivative({ loss($0, gamma, beta) }, at: x, i), "gradX[\(i)]") }
        for c in 0..<s.channels {
            expectClose(analytic.gradGamma[c], derivative({ loss(x, $0, beta) }, at: gamma, c), "gradGamma[\(c)]")
            expectClose(analytic.gradBeta[c], derivative({ loss(x, gamma, $0) }, at: beta, c), "gradBeta[\(c)]")
        }
    }

    @Test func unaryDerivativeReferencesMatchFiniteDifferences() {
        let points: [Double] = [-2.3, -0.7, 0.4, 1.9, 3.1]
        for op in UnaryOp.allCases {
            for x in points where !(x <= 0 && [.log, .sqrt, .rsqrt].contains(op)) {
                let numeric = derivative({ referenceUnary(op, $0[0]) }, at: [x], 0)
                expectClose(referenceDerivative(op, x), numeric, "\(op)′(\(x))")
            }
        }
        #expect(referenceDerivative(.abs, 0) == 0)
        #expect(referenceDerivative(.relu, 0) == 0)
    }

    @Test(arguments: [false, true])
    func softmaxBackwardReferenceMatchesFiniteDifferences(log: Bool) {
        var inputs = ParityInputs(seed: 5)
        let rows = 2, columns = 5
        let x = inputs.floats(rows * columns, low: -2, high: 2).map(Double.init)
        let g = inputs.floats(rows * columns).map(Double.init)
        let y = referenceSoftmax(x, rows: rows, columns: columns, log: log)
        let analytic = referenceSoftmaxBackward(y: y, g: g, rows: rows, columns: columns, log: log)
        for i in x.indices {
            let numeric = derivative(
                { zip(referenceSoftmax($0, rows: rows, columns: columns, log: log), g).reduce(0) { $0 + $1.0 * $1.1 } },
                at: x, i)
            expectClose(analytic[i], numeric, "gradIn[\(i)]")
        }
    }

    /// The CPU kernel itself against finite differences of the CPU forward kernel (Float32, so a
    /// loose tolerance), on a GroupNorm and a LayerNorm shape.
    @Test func cpuGroupNormBackwardMatchesFiniteDifferencesOfTheForwardKernel() throws {
        let device = CPUDevice.shared
        for s in [GroupNormShape(batch: 2, channels: 4, spatial: 6, groups: 2), GroupNormShape(batch: 3, channels: 8, spatial: 1, groups: 1)] {
            var inputs = ParityInputs(seed: 9)
            let count = s.batch * s.channels * s.spatial
            let x = inputs.floats(count, low: -2, high: 2), gamma = inputs.floats(s.channels, low: 0.5, high: 1.5)
            let beta = inputs.floats(s.channels), dy = inputs.floats(count)
            let gammaBuffer = try device.upload(gamma), betaBuffer = try device.upload(beta)
            let out = try device.makeBuffer(byteCount: count * 4)
            let mean = try device.makeBuffer(byteCount: s.batch * s.groups * 4), rstd = try device.makeBuffer(byteCount: s.batch * s.groups * 4)
            func loss(_ x: [Float]) throws -> Double {
                try device.groupNorm(device.upload(x), gamma: gammaBuffer, beta: betaBuffer, out, mean: mean, rstd: rstd, shape: s)
                return zip(try device.download(out, count: count), dy).reduce(0) { $0 + $1.0 * Double($1.1) }
            }
            _ = try loss(x)
            let gradX = try device.makeBuffer(byteCount: count * 4)
            let gradGamma = try device.makeBuffer(byteCount: s.channels * 4), gradBeta = try device.makeBuffer(byteCount: s.channels * 4)
            try device.groupNormBackward(
                device.upload(dy), x: device.upload(x), gamma: gammaBuffer, mean: mean, rstd: rstd,
                gradX: gradX, gradGamma: gradGamma, gradBeta: gradBeta, shape: s)
            let analytic = try device.download(gradX, count: count)
            for i in 0..<count {
                var plus = x, minus = x
                plus[i] += 1e-2
                minus[i] -= 1e-2
                let numeric = (try loss(plus) - loss(minus)) / Double(plus[i] - minus[i])
                #expect(abs(analytic[i] - numeric) <= 2e-3 * max(1, abs(numeric)), "\(s) gradX[\(i)]: \(analytic[i]) vs \(numeric)")
            }
        }
    }

    // MARK: conv

    @Test func col2imIsTheAdjointOfIm2col() throws {
        let geometries = [
            ConvGeometry(batch: 2, channels: 3, height: 9, width: 9, kernelHeight: 4, kernelWidth: 4, stride: (2, 2), padding: (1, 1)),
            ConvGeometry(batch: 1, channels: 2, height: 13, width: 11, kernelHeight: 3, kernelWidth: 3, padding: (2, 2), dilation: (2, 2)),
            ConvGeometry(batch: 1, channels: 3, height: 8, width: 7, kernelHeight: 2, kernelWidth: 3, stride: (2, 1), padding: (0, 1)),
        ]
        for device in [CPUDevice.shared, try DeviceSelection.resolve(.opencl)] as [any Device] {
            for g in geometries {
                var inputs = ParityInputs(seed: 11)
                let count = g.batch * g.channels * g.height * g.width
                let x = inputs.floats(count), y = inputs.floats(convColumnCount(g))
                let cols = try device.makeBuffer(byteCount: y.count * 4), image = try device.makeBuffer(byteCount: count * 4)
                try device.im2col(device.upload(x), cols, geometry: g)
                try device.col2im(device.upload(y), image, geometry: g)
                let left = zip(try device.download(cols, count: y.count), y).reduce(0) { $0 + $1.0 * Double($1.1) }
                let right = zip(x, try device.download(image, count: count)).reduce(0) { $0 + Double($1.0) * $1.1 }
                #expect(abs(left - right) <= 1e-5 * max(1, abs(left)), "\(device.backend) \(g): \(left) vs \(right)")
            }
        }
    }

    // MARK: dropout

    @Test func dropoutKeepsExactlyTheElementsWhoseUniformIsAtLeastP() throws {
        let count = 10_001, p: Float = 0.3, seed: UInt64 = 77, offset: UInt64 = 6
        var inputs = ParityInputs(seed: 13)
        let x = inputs.floats(count, low: 0.5, high: 1)
        let uniform = try CPUDevice.shared.makeBuffer(byteCount: count * 4)
        try CPUDevice.shared.randomUniform(uniform, count: count, seed: seed, offset: offset)
        let u = try CPUDevice.shared.download(uniform, count: count)
        for device in [CPUDevice.shared, try DeviceSelection.resolve(.opencl)] as [any Device] {
            let out = try device.makeBuffer(byteCount: count * 4)
            try device.dropout(device.upload(x), out, count: count, probability: p, seed: seed, offset: offset)
            let values = try device.download(out, count: count)
            let mismatches = values.indices.filter { (values[$0] != 0) != (u[$0] >= Double(p)) }
            #expect(mismatches.isEmpty, "\(device.backend): \(mismatches.count) mask mismatches")
            let kept = Double(values.filter { $0 != 0 }.count) / Double(count)
            #expect(abs(kept - 0.7) < 0.02)
            #expect(values.indices.allSatisfy { values[$0] == 0 || values[$0] == Double(x[$0] * dropoutScale(p)) })
        }
    }

    // MARK: optimizers against hand-computed PyTorch steps (p = 1, m = v = 0, gradients 0.5, −1, 0.25, lr 0.1)

    private func optimizerTrajectory(_ device: any Device, _ step: (any Device, any DeviceBuffer, any DeviceBuffer, Int) throws -> Void)
        throws -> [Double]
    {
        let p = try device.upload([Float(1)])
        var trajectory: [Double] = []
        for (index, g) in [Float(0.5), -1, 0.25].enumerated() {
            try step(device, p, try device.upload([g]), index + 1)
            trajectory += try device.download(p, count: 1)
        }
        return trajectory
    }

    private func expectTrajectory(_ actual: [Double], _ expected: [Double], _ what: String) {
        for (a, e) in zip(actual, expected) { #expect(abs(a - e) <= 2e-6, "\(what): \(actual) vs \(expected)") }
    }

    @Test func adamAndSGDStepsMatchHandComputedPyTorchValues() throws {
        for device in [CPUDevice.shared, try DeviceSelection.resolve(.opencl)] as [any Device] {
            for (wd, decoupled, expected) in [
                (Float(0), false, [0.900000002, 0.9366103542405654, 0.9502794203389762]),
                (0.1, false, [0.9000000016666666, 0.9252635194456061, 0.9247305742687093]),
                (0.1, true, [0.890000002, 0.9177103542205653, 0.9222023167767704]),
            ] {
                let m = try device.upload([Float(0)]), v = try device.upload([Float(0)])
                let trajectory = try optimizerTrajectory(device) { device, p, g, t in
                    try device.adamStep(
                        p, gradient: g, m: m, v: v, count: 1,
                        hyper: AdamHyperparameters(learningRate: 0.1, weightDecay: wd, decoupledWeightDecay: decoupled, step: t))
                }
                expectTrajectory(trajectory, expected, "\(device.backend) adam wd \(wd) decoupled \(decoupled)")
            }
            for (momentum, nesterov, expected) in [
                (Float(0.9), false, [0.94, 0.9766, 0.974774]),
                (0.9, true, [0.886, 1.010566, 0.973948646]),
                (0, false, [0.94, 1.0306, 0.995294]),
            ] {
                let buffer = try device.upload([Float(123)])  // overwritten on the first step; untouched without momentum
                let trajectory = try optimizerTrajectory(device) { device, p, g, t in
                    try device.sgdStep(
                        p, gradient: g, momentumBuffer: buffer, count: 1,
                        hyper: SGDHyperparameters(
                            learningRate: 0.1, momentum: momentum, weightDecay: 0.1,
                            nesterov: nesterov, firstStep: t == 1))
                }
                expectTrajectory(trajectory, expected, "\(device.backend) sgd momentum \(momentum) nesterov \(nesterov)")
                if momentum == 0 { #expect(try device.download(buffer, count: 1) == [123]) }
            }
        }
    }
}
