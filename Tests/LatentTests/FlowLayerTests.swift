import Foundation
import LatentCompute
import Testing

@testable import Latent

/// Each flow layer: inverse(forward(x)) ≈ x, and its log-determinant against a brute-force Jacobian
/// (central differences, determinant in Float64) on tiny inputs.
@Suite struct FlowLayerTests {
    static let device = CPUDevice.shared

    /// A deterministic input [N, C, H, W] with values in (lower, upper).
    static func input(_ shape: [Int], seed: Int = 1, range: ClosedRange<Float> = -1...1) throws -> Tensor {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { i in
            let unit = Float(0.5 + 0.5 * Foundation.sin(Double(i * 7 + seed) * 1.618))
            return range.lowerBound + (range.upperBound - range.lowerBound) * unit
        }
        return try Tensor(values, shape: shape, on: device)
    }

    /// A layer with non-trivial parameters: ActNorm initialised from data, coupling's last conv randomised.
    static func randomise(_ module: Module, seed: UInt64 = 5) throws {
        var offset: UInt64 = 0
        for (name, tensor) in module.namedParameters() where name.contains("net.4") || name.hasSuffix("actnorm.bias") {
            let noise = try Tensor.randomNormal(tensor.shape, seed: seed, offset: offset, std: 0.1, on: device)
            offset += UInt64(tensor.count)
            try tensor.assign(noise.toArray())
        }
    }

    /// log|det J| of f at x (one image), J by central differences in Float32, det in Float64.
    static func bruteForceLogDet(_ f: (Tensor) throws -> Tensor, at x: Tensor, epsilon: Float = 1e-2) throws -> Double {
        let values = try x.toArray()
        let n = values.count
        var jacobian = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var plus = values, minus = values
            plus[j] += epsilon
            minus[j] -= epsilon
            let yPlus = try f(Tensor(plus, shape: x.shape, on: device)).toArray()
            let yMinus = try f(Tensor(minus, shape: x.shape, on: device)).toArray()
            precondition(yPlus.count == n, "a flow layer keeps the dimension")
            for i in 0..<n { jacobian[i * n + j] = (Double(yPlus[i]) - Double(yMinus[i])) / (2 * Double(epsilon)) }
        }
        return FlowLinearAlgebra.logAbsDeterminant(jacobian, n: n)
    }

    /// Checks inverse(forward(x)) ≈ x and the per-image log-det of `layer` on a batch of 2 tiny images.
    static func check(_ layer: any FlowLayer, shape: [Int], range: ClosedRange<Float> = -1...1, tolerance: Double = 2e-3) throws {
        let x = try input(shape, range: range)
        let (y, logDet) = try withoutGrad { try layer.forward(x) }
        let back = try withoutGrad { try layer.inverse(y) }
        let error = zip(try back.toArray(), try x.toArray()).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(error < 1e-4, "\(type(of: layer)): max |inverse(forward(x)) − x| = \(error)")
        print("\(type(of: layer)): max |inverse(forward(x)) − x| = \(error)")
        let reported = try logDet.toArray()
        #expect(reported.count == shape[0])
        for image in 0..<shape[0] {
            let one = try x.slice(axis: 0, image..<(image + 1))
            let brute = try withoutGrad { try bruteForceLogDet({ try layer.forward($0).y }, at: one) }
            #expect(
                Swift.abs(brute - Double(reported[image])) < tolerance * max(1, Swift.abs(brute)),
                "\(type(of: layer)) image \(image): log-det \(reported[image]), brute force \(brute)")
        }
    }

    @Test func actNormInitialisesFromDataAndInverts() throws {
        let layer = try ActNorm(channels: 3, initializer: ParameterInitializer(seed: 1, device: Self.device))
        let x = try Self.input([4, 3, 3, 3], range: 2...5)
        let (y, _) = try withoutGrad { try layer.forward(x) }
        #expect(try layer.isInitialized())
        let values = try y.toArray()
        for c in 0..<3 {
            var channel: [Float] = []
            for n in 0..<4 { channel += values[((n * 3 + c) * 9)..<((n * 3 + c) * 9 + 9)] }
            let mean: Float = channel.reduce(0, +) / Float(channel.count)
            let squares: [Float] = channel.map { ($0 - mean) * ($0 - mean) }
            let variance: Float = squares.reduce(0, +) / Float(channel.count)
            #expect(Swift.abs(mean) < 1e-4 && Swift.abs(variance - 1) < 1e-3, "channel \(c): mean \(mean), variance \(variance)")
        }
        // A second batch keeps the initialisation.
        let logs = try layer.logs.toArray()
        _ = try withoutGrad { try layer.forward(Self.input([4, 3, 3, 3], seed: 9, range: 0...1)) }
        #expect(try layer.logs.toArray() == logs)
        try Self.check(layer, shape: [2, 3, 2, 2])
    }

    /// A two-rank group seen from one rank: `allReduceSum` adds `other` (the other rank's values) when
    /// given, and remembers what it was passed.
    final class TwoRanks: ProcessGroup {
        let rank = 0, size = 2
        var other: [Float]?
        var passed: [Float] = []
        init(other: [Float]? = nil) { self.other = other }
        func allReduceSum(_ values: [Float]) throws -> [Float] {
            passed = values
            return other.map { zip(values, $0).map { $0 + $1 } } ?? values
        }
        func broadcast(_ bytes: [UInt8]) throws -> [UInt8] { bytes }
    }

    /// Data-parallel ActNorm initialisation pools both ranks' batches: the same as one process on both.
    @Test func actNormInitialisationPoolsTheRanks() throws {
        let initializer = ParameterInitializer(seed: 1, device: Self.device)
        let a = try Self.input([2, 3, 2, 2], seed: 1, range: 0...2), b = try Self.input([2, 3, 2, 2], seed: 5, range: 1...4)
        let recorder = TwoRanks(), otherRank = try ActNorm(channels: 3, initializer: initializer)
        otherRank.group = recorder
        _ = try withoutGrad { try otherRank.forward(b) }
        let pooled = try ActNorm(channels: 3, initializer: initializer)
        pooled.group = TwoRanks(other: recorder.passed)
        _ = try withoutGrad { try pooled.forward(a) }
        let single = try ActNorm(channels: 3, initializer: initializer)
        _ = try withoutGrad { try single.forward(Tensor.concat([a, b], axis: 0)) }
        #expect(maxRelativeError(try pooled.bias.toArray(), try single.bias.toArray()) < 1e-5)
        #expect(maxRelativeError(try pooled.logs.toArray(), try single.logs.toArray()) < 1e-5)
        #expect(maxRelativeError(try otherRank.bias.toArray(), try single.bias.toArray()) > 1e-2)
    }

    @Test func invertibleConvolutionIsARotationAtFirstAndInverts() throws {
        let layer = try InvertibleConv1x1(channels: 4, initializer: ParameterInitializer(seed: 2, device: Self.device))
        // P·L·U rebuilds an orthogonal matrix: |det| = 1, so Σ log_s ≈ 0.
        #expect(Swift.abs(try layer.logS.sum().item()) < 1e-4)
        let w = try layer.weight().toArray().map { Double($0) }
        let wwT = FlowLinearAlgebra.multiply(w, FlowLinearAlgebra.transposed(w, n: 4), n: 4)
        for i in 0..<4 { for j in 0..<4 { #expect(Swift.abs(wwT[i * 4 + j] - (i == j ? 1 : 0)) < 1e-5) } }
        // Move it away from a rotation so the log-det is not 0.
        try layer.logS.assign([0.3, -0.2, 0.5, 0.1])
        try layer.lower.assign((0..<16).map { Float($0 % 5) * 0.1 })
        try Self.check(layer, shape: [2, 4, 2, 2])
    }

    @Test(arguments: FlowCouplingScale.allCases)
    func couplingInverts(_ scale: FlowCouplingScale) throws {
        let layer = try AffineCoupling(channels: 4, hidden: 6, scale: scale, initializer: ParameterInitializer(seed: 3, device: Self.device))
        // Zero-initialised last conv: RealNVP's coupling starts as the identity.
        if scale == .realnvp {
            let x = try Self.input([1, 4, 2, 2])
            #expect(try withoutGrad { try layer.forward(x).y }.toArray() == x.toArray())
        }
        try Self.randomise(layer)
        try Self.check(layer, shape: [2, 4, 2, 2])
    }

    @Test func stepInverts() throws {
        let step = try FlowStep(channels: 4, hidden: 5, scale: .glow, initializer: ParameterInitializer(seed: 4, device: Self.device))
        step.eval()
        try Self.randomise(step)
        try Self.check(step, shape: [2, 4, 2, 2])
    }

    @Test func logitTransformAndSqueezeInvert() throws {
        let logit = LogitTransform(alpha: 0.05)
        let v = try Self.input([2, 1, 2, 4], range: 0.01...0.99)
        let (y, logDet) = try logit.forward(v)
        let back = try logit.inverse(y)
        #expect(maxRelativeError(try back.toArray(), try v.toArray()) < 1e-5)
        for image in 0..<2 {
            let one = try v.slice(axis: 0, image..<(image + 1))
            let brute = try Self.bruteForceLogDet({ try logit.forward($0).y }, at: one, epsilon: 1e-3)
            #expect(Swift.abs(brute - Double(try logDet.toArray()[image])) < 1e-2, "logit log-det vs \(brute)")
        }
        let x = try Self.input([2, 3, 4, 6])
        let squeezed = try x.squeezed2x2()
        #expect(squeezed.shape == [2, 12, 2, 3])
        #expect(try squeezed.unsqueezed2x2().toArray() == x.toArray())
        // Channel 4c + 2i + j of the squeeze holds pixel (2h + i, 2w + j) of channel c (Glow's order).
        let (xs, ss) = (try x.toArray(), try squeezed.toArray())
        // Image 0, c = 1, i = 1, j = 0, h = 1, w = 2: squeezed channel 6, pixel (1, 2); input pixel (3, 4).
        let squeezedIndex = (6 * 2 + 1) * 3 + 2
        let inputIndex = (1 * 4 + 3) * 6 + 4
        #expect(ss[squeezedIndex] == xs[inputIndex])
    }

    /// The whole flow on 1×4×4 images: exact log p(v) = log N(z) + log|det ∂z/∂v|, with the Jacobian of
    /// v ↦ z (all latents) by brute force; and decode(encode(v)) ≈ v.
    @Test(arguments: FlowCouplingScale.allCases)
    func wholeFlowLogLikelihoodIsTheSumOfItsParts(_ scale: FlowCouplingScale) throws {
        let config = FlowConfiguration(imageSize: 4, levels: 2, stepsPerLevel: 2, hidden: 4, coupling: scale)
        let flow = try NormalizingFlow(config: config, initializer: ParameterInitializer(seed: 6, device: Self.device))
        let v = try Self.input([2, 1, 4, 4], range: 0.05...0.95)
        _ = try withoutGrad { try flow.encode(v) }  // ActNorm's data-dependent initialisation
        try Self.randomise(flow)
        flow.eval()
        let (z, logLikelihood) = try withoutGrad { try flow.encode(v) }
        #expect(z.map { (t: Tensor) in t.shape } == [[2, 2, 2, 2], [2, 8, 1, 1]])
        let decoded = try withoutGrad { try flow.decode(z) }
        let error = zip(try decoded.toArray(), try v.toArray()).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(error < 1e-4, "max |decode(encode(v)) − v| = \(error)")
        print("NormalizingFlow (\(scale)): max |decode(encode(v)) − v| = \(error)")
        for image in 0..<2 {
            let one = try v.slice(axis: 0, image..<(image + 1))
            let latents = { (x: Tensor) throws -> Tensor in
                let parts = try flow.encode(x).z.map { try $0.reshaped([1, -1]) }
                return try Tensor.concat(parts, axis: 1)
            }
            let brute = try withoutGrad { try Self.bruteForceLogDet(latents, at: one, epsilon: 1e-3) }
            let flat: [Double] = try withoutGrad { try latents(one) }.toArray().map { Double($0) }
            let squares: Double = flat.reduce(0) { $0 + $1 * $1 }
            let logPrior: Double = -0.5 * squares - 0.5 * Foundation.log(2 * Double.pi) * Double(flat.count)
            let reported = Double(try logLikelihood.toArray()[image])
            #expect(Swift.abs(logPrior + brute - reported) < 2e-2, "log p(v) \(reported), parts \(logPrior) + \(brute)")
        }
    }

    /// The `initialized` flags travel with the weights: a loaded flow is not initialised again.
    @Test func actNormFlagIsSavedWithTheWeights() throws {
        let json = #"{"imageSize": 4, "stepsPerLevel": 1, "hidden": 4}"#
        let trained = try NormalizingFlow(configJSON: json, device: Self.device, seed: 1)
        let images = try Self.input([3, 1, 4, 4], range: 0...1)
        _ = try trained.trainingLoss(images: images, labels: Tensor(indices: [0, 0, 0], shape: [3], on: Self.device), noise: NoiseStream(seed: 2))
        let state = Dictionary(uniqueKeysWithValues: trained.stateDict().map { ($0.0, $0.1) })
        #expect(try state["levels.1.steps.0.actnorm.initialized"]?.toArray() == [1])
        let loaded = try NormalizingFlow(configJSON: json, device: Self.device, seed: 9)
        try loaded.load(state.mapValues { (shape: $0.shape, values: try $0.toArray()) })
        #expect(try loaded.levels[0].steps[0].actnorm.isInitialized())
        let bias = try loaded.levels[0].steps[0].actnorm.bias.toArray()
        _ = try withoutGrad { try loaded.encode(Self.input([3, 1, 4, 4], seed: 4, range: 0.2...0.3)) }
        #expect(try loaded.levels[0].steps[0].actnorm.bias.toArray() == bias)
    }

    @Test func configurationErrorsAreOneLine() throws {
        #expect(throws: ComputeError.self) { try FlowConfiguration(json: #"{"levels": 3}"#) }
        do {
            _ = try FlowConfiguration(json: #"{"levels": 3}"#)
        } catch {
            #expect("\(error)".contains("not divisible by the squeeze factor 2 at level 3"))
            #expect(!"\(error)".contains("\n"))
        }
        #expect(throws: ComputeError.self) { try FlowConfiguration(json: #"{"coupling": "additive"}"#) }
        #expect(throws: ComputeError.self) { try FlowConfiguration(json: #"{"alpha": 0.5}"#) }
        let flow = try NormalizingFlow(configJSON: #"{"stepsPerLevel": 1, "hidden": 4}"#, device: Self.device, seed: 0)
        #expect(throws: ComputeError.self) { try flow.encode(Self.input([1, 1, 27, 27], range: 0.1...0.9)) }
    }
}
