import Foundation

/// Parity registration of the Gaussian-mixture kernels `gaussian_log_density`,
/// `gaussian_responsibilities`, `gaussian_scatter` and `gaussian_moments` against naive Float64 references, on shapes that leave 8-lane remainders
/// (D = 1, 7, 17, 203) and partial 4-row blocks, plus a pixel-like case whose precisions (1e6) are
/// large beside a spread of 1e-3: the expanded x²p − 2xμp + μ²p form would cancel there.
extension KernelRegistry {
    public static var mixtureKernels: [KernelSpec] {
        let shapes: [MixtureCase] = [
            MixtureCase(count: 1, components: 1, dimension: 1),
            MixtureCase(count: 5, components: 3, dimension: 7),
            MixtureCase(count: 37, components: 4, dimension: 17),
            MixtureCase(count: 13, components: 1, dimension: 8),
            MixtureCase(count: 70, components: 10, dimension: 203),
            MixtureCase(count: 300, components: 3, dimension: 16),
            MixtureCase(count: 23, components: 5, dimension: 33, narrow: true),
        ]
        let benchmarks: @Sendable (Bool) -> [BenchmarkCase] = { quick in
            (quick ? [(2000, 10, 784)] : [(10000, 10, 784), (60000, 10, 16)]).flatMap { MixtureCase.benchmarks($0.0, $0.1, $0.2) }
        }
        return [
            KernelSpec(
                .gaussianLogDensity, tolerance: 1e-10, benchmarks: { quick in benchmarks(quick).filter { $0.op == "gaussian_log_density" } },
                cases: shapes.map { c in
                    KernelCase(
                        shape: c.description, referenceTolerance: 1e-10,
                        run: { device in try c.runLogDensity(on: device) }, reference: { c.logDensityReference() })
                }),
            KernelSpec(
                .gaussianResponsibilities, tolerance: 1e-10,
                benchmarks: { quick in benchmarks(quick).filter { $0.op == "gaussian_responsibilities" } },
                cases: shapes.map { c in
                    KernelCase(
                        shape: c.description, referenceTolerance: 1e-10,
                        run: { device in try c.runResponsibilities(on: device) }, reference: { c.responsibilitiesReference() })
                }),
            KernelSpec(
                .gaussianScatter, tolerance: 1e-10, benchmarks: { quick in benchmarks(quick).filter { $0.op == "gaussian_scatter" } },
                cases: shapes.map { c in
                    KernelCase(
                        shape: c.description, referenceTolerance: 1e-10,
                        run: { device in try c.runScatter(on: device) }, reference: { c.scatterReference() })
                }),
            KernelSpec(
                .gaussianMoments, tolerance: 1e-10, benchmarks: { quick in benchmarks(quick).filter { $0.op == "gaussian_moments" } },
                cases: (shapes + [MixtureCase(count: 200, components: 3, dimension: 0)]).map { c in
                    KernelCase(
                        shape: c.description, referenceTolerance: 1e-10,
                        run: { device in try c.runMoments(on: device) }, reference: { c.momentsReference() })
                }),
        ]
    }
}

/// One mixture configuration: N rows, K components, D features. `narrow`: rows 0.5 ± 1e-3 about
/// means 0.5 with precisions near 1e6 (Fashion-MNIST's near-constant pixels).
public struct MixtureCase: Sendable, CustomStringConvertible {
    public let count: Int, components: Int, dimension: Int, narrow: Bool

    public init(count: Int, components: Int, dimension: Int, narrow: Bool = false) {
        self.count = count
        self.components = components
        self.dimension = dimension
        self.narrow = narrow
    }

    public var description: String { "N\(count) K\(components) D\(dimension)\(narrow ? " narrow" : "")" }

    /// x [N × D], means and precisions [K × D], offsets [K], weights [N × K] (about a quarter exactly 0).
    public func inputs() -> (x: [Float], means: [Float], precisions: [Float], offsets: [Float], weights: [Float]) {
        var g = ParityInputs(seed: UInt64(count * 7919 + components * 104_729 + dimension * 31 + (narrow ? 1 : 0)))
        let (n, k, d) = (count, components, dimension)
        let spread: Float = narrow ? 1e-3 : 1, center: Float = narrow ? 0.5 : 0
        let x = g.floats(n * d, low: center - spread, high: center + spread)
        let means = g.floats(k * d, low: center - spread, high: center + spread)
        let precisions = narrow ? g.floats(k * d, low: 5e5, high: 2e6) : g.floats(k * d, low: 0.25, high: 4)
        let offsets = g.floats(k, low: -50, high: 50)
        let weights = g.floats(n * k, low: -0.33, high: 1).map { max(0, $0) }
        return (x, means, precisions, offsets, weights)
    }

    public func runLogDensity(on device: any Device) throws -> [[Double]] {
        let i = inputs()
        let out = try ParityCaseKit.buffer(device, count * components)
        try device.gaussianLogDensity(
            device.upload(i.x), means: device.upload(i.means), precisions: device.upload(i.precisions),
            offsets: device.upload(i.offsets), out, count: count, components: components, dimension: dimension)
        return [try device.download(out, count: count * components)]
    }

    public func runResponsibilities(on device: any Device) throws -> [[Double]] {
        let i = inputs()
        let out = try ParityCaseKit.buffer(device, count * components)
        let logLikelihood = try ParityCaseKit.buffer(device, count)
        try device.gaussianResponsibilities(
            device.upload(i.x), means: device.upload(i.means), precisions: device.upload(i.precisions),
            offsets: device.upload(i.offsets), out, logLikelihood: logLikelihood, count: count, components: components,
            dimension: dimension)
        return [try device.download(out, count: count * components), try device.download(logLikelihood, count: count)]
    }

    public func runScatter(on device: any Device) throws -> [[Double]] {
        let i = inputs()
        let out = try ParityCaseKit.buffer(device, components * dimension)
        try device.gaussianScatter(
            device.upload(i.x), weights: device.upload(i.weights), means: device.upload(i.means), out,
            count: count, components: components, dimension: dimension)
        return [try device.download(out, count: components * dimension)]
    }

    public func runMoments(on device: any Device) throws -> [[Double]] {
        let i = inputs()
        let out = try ParityCaseKit.buffer(device, components * (dimension + 1))
        try device.gaussianMoments(
            device.upload(i.x), weights: device.upload(i.weights), out, count: count, components: components, dimension: dimension)
        return [try device.download(out, count: components * (dimension + 1))]
    }

    public func logDensityReference() -> [[Double]] {
        let i = inputs()
        let (k, d) = (components, dimension)
        return [
            (0..<(count * k)).map { e in
                let (n, c) = (e / k, e % k)
                var t = 0.0
                for j in 0..<d {
                    let diff = Double(i.x[n * d + j]) - Double(i.means[c * d + j])
                    t += Double(i.precisions[c * d + j]) * diff * diff
                }
                return Double(i.offsets[c]) - 0.5 * t
            }
        ]
    }

    /// The responsibilities and the log-sum-exp of each row of `logDensityReference`.
    public func responsibilitiesReference() -> [[Double]] {
        let l = logDensityReference()[0], k = components
        var responsibilities = [Double](repeating: 0, count: count * k), logLikelihood = [Double](repeating: 0, count: count)
        for n in 0..<count {
            let row = l[(n * k)..<((n + 1) * k)]
            let m = row.max()!
            logLikelihood[n] = m + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp($1 - m) })
            for c in 0..<k { responsibilities[n * k + c] = Foundation.exp(l[n * k + c] - logLikelihood[n]) }
        }
        return [responsibilities, logLikelihood]
    }

    public func scatterReference() -> [[Double]] {
        let i = inputs()
        let (k, d) = (components, dimension)
        return [
            (0..<(k * d)).map { e in
                let (c, j) = (e / d, e % d)
                var t = 0.0
                for n in 0..<count {
                    let diff = Double(i.x[n * d + j]) - Double(i.means[c * d + j])
                    t += Double(i.weights[n * k + c]) * diff * diff
                }
                return t
            }
        ]
    }

    public func momentsReference() -> [[Double]] {
        let i = inputs()
        let (k, d) = (components, dimension)
        return [
            (0..<(k * (d + 1))).map { e in
                let (c, j) = (e / (d + 1), e % (d + 1))
                var t = 0.0
                for n in 0..<count { t += Double(i.weights[n * k + c]) * (j == d ? 1 : Double(i.x[n * d + j])) }
                return t
            }
        ]
    }

    /// The E-step and M-step kernels on random data of N × D with K components.
    static func benchmarks(_ n: Int, _ k: Int, _ d: Int) -> [BenchmarkCase] {
        let shape = "N\(n) K\(k) D\(d)"
        return [
            BenchmarkCase(op: "gaussian_log_density", shape: shape, flops: 3.0 * Double(n * k * d)) { device in
                let x = try Tensor.randomNormal([n, d], seed: 1, on: device)
                let means = try Tensor.randomNormal([k, d], seed: 2, on: device)
                let precisions = try Tensor.randomUniform([k, d], seed: 3, on: device)
                let offsets = try Tensor.zeros([k], on: device)
                return { _ = try x.gaussianLogDensity(means: means, precisions: precisions, offsets: offsets) }
            },
            BenchmarkCase(op: "gaussian_responsibilities", shape: shape, flops: 3.0 * Double(n * k * d)) { device in
                let x = try Tensor.randomNormal([n, d], seed: 1, on: device)
                let means = try Tensor.randomNormal([k, d], seed: 2, on: device)
                let precisions = try Tensor.randomUniform([k, d], seed: 3, on: device)
                let offsets = try Tensor.zeros([k], on: device)
                return { _ = try x.gaussianResponsibilities(means: means, precisions: precisions, offsets: offsets) }
            },
            BenchmarkCase(op: "gaussian_scatter", shape: shape, flops: 3.0 * Double(n * k * d)) { device in
                let x = try Tensor.randomNormal([n, d], seed: 1, on: device)
                let weights = try Tensor.randomUniform([n, k], seed: 4, on: device)
                let means = try Tensor.randomNormal([k, d], seed: 2, on: device)
                return { _ = try x.gaussianScatter(weights: weights, means: means) }
            },
            BenchmarkCase(op: "gaussian_moments", shape: shape, flops: 2.0 * Double(n * k * (d + 1))) { device in
                let x = try Tensor.randomNormal([n, d], seed: 1, on: device)
                let weights = try Tensor.randomUniform([n, k], seed: 4, on: device)
                return { _ = try x.gaussianMoments(weights: weights) }
            },
        ]
    }
}
