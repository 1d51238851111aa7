import Foundation
import Testing
@testable import Latent

/// Gaussian mixtures: one EM step against a naive Float64 reference, scikit-learn's fitted values
/// (fixture written by tools/compare_gmm_sklearn.py), fit_predict, both backends, and bad input.
@Suite struct GaussianMixtureTests {
    static let cpu: any Device = CPUDevice.shared

    /// Two clusters in 2-D (N = 8).
    static let tiny: [Float] = [0, 0, 1, 0.5, 0.2, 1.1, -0.4, 0.3, 5, 5, 6, 4.2, 5.5, 6.1, 4.4, 5.3]
    static let tinyMeans: [Double] = [0.5, 0.5, 5, 5]

    static func close(
        _ a: [Double], _ b: [Double], relative: Double, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) values", sourceLocation: sourceLocation)
        let scale = max(b.map(Swift.abs).max() ?? 0, 1e-12)
        let worst = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(
            worst / scale <= relative, "\(what): relative difference \(worst / scale)\n\(a)\n\(b)",
            sourceLocation: sourceLocation)
    }

    /// Naive Float64 EM for full 2×2 covariances: density by explicit inverse and determinant.
    struct Reference {
        var weights: [Double], means: [[Double]], covariances: [[Double]]  // covariances as [a, b, b, d]

        static func mStep(_ x: [[Double]], _ r: [[Double]], reg: Double, normalize: Bool) -> Reference {
            let k = r[0].count
            var out = Reference(weights: [], means: [], covariances: [])
            for c in 0..<k {
                let nk = x.indices.reduce(0.0) { $0 + r[$1][c] } + 10 * Double.ulpOfOne
                let mean = (0..<2).map { j in x.indices.reduce(0.0) { $0 + r[$1][c] * x[$1][j] } / nk }
                var cov = [0.0, 0, 0, 0]
                for n in x.indices {
                    for i in 0..<2 {
                        for j in 0..<2 {
                            cov[i * 2 + j] += r[n][c] * (x[n][i] - mean[i]) * (x[n][j] - mean[j]) / nk
                        }
                    }
                }
                cov[0] += reg
                cov[3] += reg
                out.weights.append(nk)
                out.means.append(mean)
                out.covariances.append(cov)
            }
            let total = normalize ? out.weights.reduce(0, +) : Double(x.count)
            out.weights = out.weights.map { $0 / total }
            return out
        }

        func logDensities(_ x: [Double]) -> [Double] {
            (0..<weights.count).map { c in
                let s = covariances[c], det = s[0] * s[3] - s[1] * s[2]
                let (u, v) = (x[0] - means[c][0], x[1] - means[c][1])
                let q = (s[3] * u * u - 2 * s[1] * u * v + s[0] * v * v) / det
                return log(weights[c]) - log(2 * Double.pi) - 0.5 * log(det) - 0.5 * q
            }
        }
    }

    @Test func oneEMStepMatchesANaiveFloat64Reference() throws {
        let x = stride(from: 0, to: Self.tiny.count, by: 2).map { [Double(Self.tiny[$0]), Double(Self.tiny[$0 + 1])] }
        // Start: hard assignment to the nearest initial mean, weights/covariances from it, means = initial means.
        let hard = x.map { p in p[0] + p[1] < 5 ? [1.0, 0] : [0.0, 1] }
        var start = Reference.mStep(x, hard, reg: 1e-6, normalize: false)
        start.means = [[0.5, 0.5], [5, 5]]
        let logs = x.map(start.logDensities)
        let norms = logs.map { l in log(l.map(exp).reduce(0, +)) }
        let r = zip(logs, norms).map { l, n in l.map { exp($0 - n) } }
        let expected = Reference.mStep(x, r, reg: 1e-6, normalize: true)

        let mixture = try GaussianMixture(GaussianMixtureConfiguration(components: 2, covarianceType: .full, tolerance: 0, maxIterations: 1))
        mixture.initialMeans = Self.tinyMeans
        try mixture.fit(Tensor(Self.tiny, shape: [8, 2], on: Self.cpu))
        let p = try #require(mixture.parameters)
        Self.close(p.weights, expected.weights, relative: 1e-5, "weights")
        Self.close(p.means, expected.means.flatMap { $0 }, relative: 1e-5, "means")
        Self.close(p.covariances, expected.covariances.flatMap { $0 }, relative: 1e-5, "covariances")
        #expect(Swift.abs(mixture.lowerBound - norms.reduce(0, +) / 8) < 1e-5, "\(mixture.lowerBound)")
        #expect(mixture.iterations == 1 && !mixture.converged && mixture.convergenceWarning != nil)
    }

    static func sklearnFixture() throws -> [String: [Double]] {
        let file = try SafeTensors.read(fixture("gmm_sklearn.safetensors"))
        return try file.tensors.mapValues { t in
            t.dtype == .f64
                ? t.bytes.withUnsafeBytes { raw in (0..<(raw.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
                : try t.floats().map(Double.init)
        }
    }

    @Test(arguments: GaussianCovarianceType.allCases)
    func matchesScikitLearn(_ type: GaussianCovarianceType) throws {
        let f = try Self.sklearnFixture()
        let x = try Tensor(f["x"]!.map(Float.init), shape: [180, 3], on: Self.cpu)
        let mixture = try GaussianMixture(GaussianMixtureConfiguration(components: 3, covarianceType: type, tolerance: 0, maxIterations: 5))
        mixture.initialMeans = f["means_init"]!
        let labels = try mixture.fitPredict(x).toIndices()
        let p = try #require(mixture.parameters)
        let name = type.rawValue
        Self.close(p.weights, f["\(name).weights"]!, relative: 1e-4, "\(name) weights")
        Self.close(p.means, f["\(name).means"]!, relative: 1e-4, "\(name) means")
        Self.close(p.covariances, f["\(name).covariances"]!, relative: 1e-4, "\(name) covariances")
        Self.close([mixture.lowerBound], f["\(name).lower_bound"]!, relative: 1e-4, "\(name) lower bound")
        Self.close([try mixture.score(x)], f["\(name).score"]!, relative: 1e-4, "\(name) score")
        #expect(labels.map(Double.init) == f["\(name).labels"]!)
    }

    /// A diagonal EM iteration reads three times (moments, scatter, the lower bound's
    /// log-likelihoods) and writes four small tables (means, precisions and offsets for the fused
    /// E-step, means for the scatter): counted on a CPU device of its own as the difference between
    /// 6 and 2 iterations. (Before the fused kernels it read four times: n_k and rᵀx apart.)
    @Test(arguments: [GaussianCovarianceType.diag, .spherical])
    func aDiagonalEMIterationReadsThreeTimes(_ type: GaussianCovarianceType) throws {
        let device = CPUDevice(threads: 2)
        let f = try Self.sklearnFixture()
        let x = try Tensor(f["x"]!.map(Float.init), shape: [180, 3], on: device)
        var activity: [DeviceActivity] = []
        for iterations in [2, 6] {
            let mixture = try GaussianMixture(
                GaussianMixtureConfiguration(components: 3, covarianceType: type, tolerance: 0, maxIterations: iterations))
            mixture.initialMeans = f["means_init"]!
            let before = device.activity
            try mixture.fit(x)
            activity.append(device.activity.since(before))
        }
        let perIteration = activity[1].since(activity[0])
        #expect(perIteration.downloads == 4 * 3, "\(perIteration)")
        #expect(perIteration.uploads == 4 * 4, "\(perIteration)")
    }

    @Test(arguments: [GaussianMixtureInitialization.kmeans, .random])
    func fitPredictEqualsFitThenPredict(_ initialization: GaussianMixtureInitialization) throws {
        let f = try Self.sklearnFixture()
        let x = try Tensor(f["x"]!.map(Float.init), shape: [180, 3], on: Self.cpu)
        let config = GaussianMixtureConfiguration(components: 3, covarianceType: .diag, maxIterations: 3, initialization: initialization, seed: 7)
        let a = try GaussianMixture(config), b = try GaussianMixture(config)
        let labels = try a.fitPredict(x).toIndices()
        try b.fit(x)
        #expect(labels == (try b.predict(x).toIndices()))
        #expect(a.parameters == b.parameters)
        #expect(Set(labels).count == 3)
    }

    @Test func theBestOfSeveralInitialisationsIsKept() throws {
        let f = try Self.sklearnFixture()
        let x = try Tensor(f["x"]!.map(Float.init), shape: [180, 3], on: Self.cpu)
        var bounds: [Double] = []
        for seed in 0..<4 as Range<UInt64> {
            let single = try GaussianMixture(
                GaussianMixtureConfiguration(
                    components: 3, covarianceType: .spherical, maxIterations: 2,
                    initialization: .random, seed: seed))
            try single.fit(x)
            bounds.append(single.lowerBound)
        }
        // Attempt i of n_init draws what a single run draws at attempt i; attempt 0 is seed's own.
        let several = try GaussianMixture(
            GaussianMixtureConfiguration(
                components: 3, covarianceType: .spherical, maxIterations: 2,
                initializations: 3, initialization: .random))
        try several.fit(x)
        #expect(several.lowerBound >= bounds[0])
    }

    @Test func warmStartContinuesFromTheFittedParameters() throws {
        let f = try Self.sklearnFixture()
        let x = try Tensor(f["x"]!.map(Float.init), shape: [180, 3], on: Self.cpu)
        let cold = try GaussianMixture(GaussianMixtureConfiguration(components: 3, covarianceType: .full, tolerance: 0, maxIterations: 4))
        cold.initialMeans = f["means_init"]!
        try cold.fit(x)
        let warm = try GaussianMixture(
            GaussianMixtureConfiguration(components: 3, covarianceType: .full, tolerance: 0, maxIterations: 2, warmStart: true))
        warm.initialMeans = f["means_init"]!
        try warm.fit(x)
        try warm.fit(x)
        Self.close(warm.parameters!.means, cold.parameters!.means, relative: 1e-5, "2 + 2 warm iterations vs 4")
    }

    @Test func bothBackendsAgree() throws {
        let opencl = try DeviceSelection.resolve(.opencl)
        let f = try Self.sklearnFixture()
        var results: [(GaussianMixtureParameters, [Float])] = []
        for device in [Self.cpu, opencl] {
            let x = try Tensor(f["x"]!.map(Float.init), shape: [180, 3], on: device)
            let mixture = try GaussianMixture(GaussianMixtureConfiguration(components: 3, covarianceType: .full, maxIterations: 10, seed: 3))
            try mixture.fit(x)
            results.append((mixture.parameters!, try mixture.sample(count: 50, seed: 11, on: device).samples.toArray()))
        }
        Self.close(results[1].0.means, results[0].0.means, relative: 1e-4, "means")
        Self.close(results[1].0.covariances, results[0].0.covariances, relative: 1e-4, "covariances")
        Self.close(results[1].1.map(Double.init), results[0].1.map(Double.init), relative: 1e-4, "samples")
    }

    @Test func samplesFollowTheFittedComponents() throws {
        let p = try GaussianMixtureParameters(
            covarianceType: .diag, weights: [0.25, 0.75], means: [-3, 1, 4, 2],
            covariances: [0.25, 1, 4, 0.01])
        let mixture = try GaussianMixture(GaussianMixtureConfiguration(components: 2, covarianceType: .diag), parameters: p)
        let (samples, components) = try mixture.sample(count: 4000, seed: 5, on: Self.cpu)
        let values = try samples.toArray()
        let second = components.filter { $0 == 1 }.count
        #expect(Swift.abs(Double(second) / 4000 - 0.75) < 0.03)
        #expect(components == components.sorted())
        let rows = (0..<4000).filter { components[$0] == 1 }
        let mean0 = rows.reduce(0.0) { $0 + Double(values[$1 * 2]) } / Double(rows.count)
        let var1 = rows.reduce(0.0) { $0 + pow(Double(values[$1 * 2 + 1]) - 2, 2) } / Double(rows.count)
        #expect(Swift.abs(mean0 - 4) < 0.1 && Swift.abs(var1 - 0.01) < 0.002, "\(mean0) \(var1)")
    }

    @Test func checkpointRoundTripKeepsScoresAndCriteria() throws {
        let f = try Self.sklearnFixture()
        let x = try Tensor(f["x"]!.map(Float.init), shape: [180, 3], on: Self.cpu)
        let mixture = try GaussianMixture(GaussianMixtureConfiguration(components: 3, covarianceType: .tied, maxIterations: 5))
        try mixture.fit(x)
        let folder = TempFolder()
        try mixture.checkpoint().write(to: folder.file("gmm.safetensors"))
        let loaded = try GaussianMixture.load(Checkpoint.read(folder.file("gmm.safetensors")), path: "gmm.safetensors")
        #expect(loaded.parameters == mixture.parameters && loaded.configuration == mixture.configuration)
        #expect(try loaded.score(x) == mixture.score(x))
        // BIC = −2·N·score + p·ln N with p = K·D + D(D+1)/2 + K − 1 = 9 + 6 + 2 for tied, K = 3, D = 3.
        #expect(Swift.abs(try loaded.bic(x) - (-2 * 180 * loaded.score(x) + 17 * log(180.0))) < 1e-9)
        #expect(Swift.abs(try loaded.aic(x) - (-2 * 180 * loaded.score(x) + 34)) < 1e-9)
        let proba = try loaded.predictProba(x).toArray()
        #expect(Swift.abs(proba[0] + proba[1] + proba[2] - 1) < 1e-5)
    }

    /// A feature whose within-component variance (~1e-7) is tiny beside its spread (~0.25): the
    /// expanded Float32 GEMM form loses it, the explicit-difference path keeps it.
    @Test(arguments: [GaussianCovarianceType.diag, .spherical])
    func tinyVariancesBesideALargeSpreadStayAccurate(_ type: GaussianCovarianceType) throws {
        var x: [Float] = []
        for i in 0..<100 {
            let cluster = i < 50 ? 0.0 : 1.0
            x += [Float(cluster * 200 - 100 + sin(Double(i) * 1.7)), Float(cluster + 1e-3 * sin(Double(i) * 2.3))]
        }
        let mixture = try GaussianMixture(GaussianMixtureConfiguration(components: 2, covarianceType: type, regCovar: 0, maxIterations: 0))
        mixture.initialMeans = [-100, 0, 100, 1]
        try mixture.fit(Tensor(x, shape: [100, 2], on: Self.cpu))
        var expected: [Double] = []
        for c in 0..<2 {
            let rows = (c * 50)..<(c * 50 + 50)
            for j in 0..<2 {
                let mean = rows.reduce(0.0) { $0 + Double(x[$1 * 2 + j]) } / 50
                expected.append(rows.reduce(0.0) { $0 + pow(Double(x[$1 * 2 + j]) - mean, 2) } / 50)
            }
        }
        let p = try #require(mixture.parameters)
        if type == .diag {
            Self.close([p.covariances[1], p.covariances[3]], [expected[1], expected[3]], relative: 1e-3, "tiny variances")
        } else {
            Self.close(p.covariances, [(expected[0] + expected[1]) / 2, (expected[2] + expected[3]) / 2], relative: 1e-4, "spherical")
        }
    }

    static func expectError(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
        } catch {
            let text = "\(error)"
            #expect(text.contains(fragment) && !text.contains("\n"), "\(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func badInputGivesOneLineErrors() throws {
        let x = try Tensor(Self.tiny, shape: [8, 2], on: Self.cpu)
        Self.expectError("n_components = 9 is more than the 8 samples") {
            try GaussianMixture(GaussianMixtureConfiguration(components: 9)).fit(x)
        }
        var withNaN = Self.tiny
        withNaN[5] = .nan
        Self.expectError("NaN or infinite value (sample 2, feature 1)") {
            try GaussianMixture(GaussianMixtureConfiguration(components: 2)).fit(Tensor(withNaN, shape: [8, 2], on: Self.cpu))
        }
        // Component 1 owns only copies of one point: its covariance is 0 without reg_covar.
        let collapsed: [Float] = [0, 0, 1, 0.5, 0.2, 1.1, -0.4, 0.3, 5, 5, 5, 5, 5, 5, 5, 5]
        for type in [GaussianCovarianceType.full, .diag] {
            Self.expectError("component 1 is not positive definite after reg_covar = 0.0") {
                let m = try GaussianMixture(GaussianMixtureConfiguration(components: 2, covarianceType: type, regCovar: 0))
                m.initialMeans = Self.tinyMeans
                try m.fit(Tensor(collapsed, shape: [8, 2], on: Self.cpu))
            }
        }
        Self.expectError("raise reg_covar") {
            let m = try GaussianMixture(GaussianMixtureConfiguration(components: 2, covarianceType: .spherical, regCovar: 0))
            m.initialMeans = Self.tinyMeans
            try m.fit(Tensor(collapsed, shape: [8, 2], on: Self.cpu))
        }
        Self.expectError("not fitted") { _ = try GaussianMixture(GaussianMixtureConfiguration()).predict(x) }
    }
}
