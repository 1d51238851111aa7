import Foundation
import Testing
@testable import Latent

/// The Float64 Fréchet distance of FID-FMNIST against closed forms and numpy/scipy
/// (fixture from tools/make_fid_fixture.py).
@Suite struct FrechetDistanceTests {
    let file: SafeTensors

    init() throws { file = try SafeTensors.read(fixture("frechet_reference.safetensors")) }

    func rows(_ name: String) throws -> (values: [Float], dimension: Int) {
        let tensor = try #require(file[name])
        return (try tensor.floats(), tensor.shape[1])
    }

    func statistics(_ name: String) throws -> GaussianStatistics {
        let (values, dimension) = try rows(name)
        return try GaussianStatistics(rows: values, dimension: dimension)
    }

    func expected(_ key: String) throws -> Double {
        let text = try #require(file.metadata?[key])
        return try #require(Double(text))
    }

    @Test func identicalSetsAreAtDistanceZero() throws {
        let a = try statistics("full.a")
        #expect(try FrechetDistance.between(a, a) < 1e-10)
        let singular = try statistics("singular.b")
        #expect(try FrechetDistance.between(singular, singular) < 1e-10)
    }

    /// For diagonal covariances the distance is Σ (√a_i − √b_i)² + ‖μ₁ − μ₂‖².
    @Test func diagonalGaussiansMatchTheClosedForm() throws {
        let a: [Double] = [4, 1, 0.25, 9, 0, 2]
        let b: [Double] = [1, 1, 1, 0.5, 3, 2]
        let m1: [Double] = [0, 1, -2, 0.5, 3, 0], m2: [Double] = [1, 1, 0, 0, 3, -1]
        func diagonal(_ d: [Double]) -> [Double] {
            var m = [Double](repeating: 0, count: d.count * d.count)
            for i in d.indices { m[i * d.count + i] = d[i] }
            return m
        }
        let closedForm =
            zip(a, b).reduce(0) { $0 + pow($1.0.squareRoot() - $1.1.squareRoot(), 2) }
            + zip(m1, m2).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let distance = try FrechetDistance.between(
            GaussianStatistics(mean: m1, covariance: diagonal(a), count: 10),
            GaussianStatistics(mean: m2, covariance: diagonal(b), count: 10))
        #expect(abs(distance - closedForm) < 1e-12 * closedForm, "\(distance) vs \(closedForm)")
    }

    @Test func matchesScipyOnFullRankFeatures() throws {
        let distance = try FrechetDistance.between(statistics("full.a"), statistics("full.b"))
        let reference = try expected("fd.full")
        #expect(abs(distance - reference) < 1e-10 * reference, "\(distance) vs \(reference)")
        // Symmetric in its arguments.
        let swapped = try FrechetDistance.between(statistics("full.b"), statistics("full.a"))
        #expect(abs(swapped - reference) < 1e-10 * reference)
    }

    /// Fewer vectors than dimensions: both covariances are singular, as with a small --count.
    @Test func matchesNumpyOnSingularCovariances() throws {
        let distance = try FrechetDistance.between(statistics("singular.a"), statistics("singular.b"))
        let reference = try expected("fd.singular")
        #expect(abs(distance - reference) < 1e-9 * reference, "\(distance) vs \(reference)")
    }

    @Test func statisticsMatchNumpyMeanAndCov() throws {
        let s = try statistics("full.a")
        #expect(s.count == 400 && s.dimension == 16)
        for (mine, numpy) in zip(s.mean, try file["full.a.mean"]!.floats()) { #expect(abs(mine - Double(numpy)) < 1e-6) }
        for (mine, numpy) in zip(s.covariance, try file["full.a.cov"]!.floats()) {
            #expect(abs(mine - Double(numpy)) < 1e-6 * max(1, abs(Double(numpy))))
        }
    }

    @Test func badInputIsRefused() throws {
        #expect(throws: (any Error).self) { try GaussianStatistics(rows: [1, 2, 3], dimension: 3) }  // one vector
        #expect(throws: (any Error).self) { try GaussianStatistics(rows: [1, 2, 3, 4, 5], dimension: 2) }
        #expect(throws: (any Error).self) { try GaussianStatistics(rows: [1, .nan, 3, 4], dimension: 2) }
        let a = try statistics("full.a"), b = try statistics("singular.a")
        #expect(throws: (any Error).self) { try FrechetDistance.between(a, b) }
    }
}

@Suite struct SymmetricEigenTests {
    /// max |V·diag(λ)·Vᵀ − A| and max |VᵀV − I|.
    func errors(_ e: SymmetricEigen, _ a: [Double]) -> (reconstruction: Double, orthogonality: Double) {
        let n = e.size
        let rebuilt = e.applying { $0 }
        var orthogonality = 0.0
        for i in 0..<n {
            for j in 0..<n {
                let dot = (0..<n).reduce(0.0) { $0 + e.vectors[$1 * n + i] * e.vectors[$1 * n + j] }
                orthogonality = max(orthogonality, abs(dot - (i == j ? 1 : 0)))
            }
        }
        return (zip(rebuilt, a).map { abs($0 - $1) }.max() ?? 0, orthogonality)
    }

    @Test func twoByTwo() throws {
        let e = try SymmetricEigen([2, 1, 1, 2], size: 2)
        #expect(abs(e.values[0] - 1) < 1e-15 && abs(e.values[1] - 3) < 1e-15)
        // The eigenvector of 3 is ±(1, 1)/√2.
        #expect(abs(abs(e.vectors[1]) - 0.5.squareRoot()) < 1e-15 && abs(e.vectors[1] - e.vectors[3]) < 1e-15)
    }

    @Test func matchesNumpyEigenvaluesAndReconstructs() throws {
        let file = try SafeTensors.read(fixture("frechet_reference.safetensors"))
        let a = try file["eigen.matrix"]!.floats().map(Double.init)
        let e = try SymmetricEigen(a, size: 20)
        for (mine, numpy) in zip(e.values, try file["eigen.values"]!.floats()) { #expect(abs(mine - Double(numpy)) < 1e-5) }
        #expect(e.values == e.values.sorted())
        let (reconstruction, orthogonality) = errors(e, a)
        #expect(reconstruction < 1e-13, "\(reconstruction)")
        #expect(orthogonality < 1e-13, "\(orthogonality)")
    }

    /// A 128×128 covariance of rank 40 (fewer vectors than dimensions, as FID meets with few samples).
    @Test func reconstructsARankDeficientCovariance() throws {
        var state: UInt64 = 12345
        let rows = (0..<(40 * 128)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        let covariance = try GaussianStatistics(rows: rows, dimension: 128).covariance
        let e = try SymmetricEigen(covariance, size: 128)
        let (reconstruction, orthogonality) = errors(e, covariance)
        #expect(reconstruction < 1e-12, "\(reconstruction)")
        #expect(orthogonality < 1e-12, "\(orthogonality)")
        // Rank 39 after centring: 89 eigenvalues vanish, none is meaningfully negative.
        #expect(e.values.filter { abs($0) < 1e-12 }.count == 89)
        #expect(e.values.allSatisfy { $0 > -1e-12 })
    }

    @Test func badMatricesAreRefused() {
        #expect(throws: (any Error).self) { try SymmetricEigen([1, 2, 3, 4], size: 2) }  // not symmetric
        #expect(throws: (any Error).self) { try SymmetricEigen([1, .nan, .nan, 1], size: 2) }
        #expect(throws: (any Error).self) { try SymmetricEigen([1, 2, 3], size: 2) }
    }
}
