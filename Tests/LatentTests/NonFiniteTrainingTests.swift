import LatentCompute
import Testing
@testable import Latent

/// A loss or gradient that becomes NaN or infinite stops training with the step and the first bad
/// tensor named, or, with `skipNonFinite`, the step is skipped without touching the weights.
@Suite struct NonFiniteTrainingTests {
    private func trainer(steps: Int, skip: Int = 0) throws -> Trainer {
        let device = CPUDevice.shared
        let data = try ClassifierTests.barImages(count: 32, seed: 3)
        let model = try ConvClassifier(configJSON: #"{"channels": [2, 2], "features": 4}"#, device: device, seed: 2)
        let loader = try BatchLoader(dataset: data, batchSize: 8, seed: 4, scaling: ConvClassifier.pixelScaling)
        let configuration = TrainingConfiguration(steps: steps, batchSize: 8, learningRate: 3e-3, skipNonFinite: skip)
        return try Trainer(model: model, configuration: configuration, loader: loader, device: device)
    }

    private func weights(_ trainer: Trainer) throws -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: try trainer.model.namedParameters().map { ($0.0, try $0.1.toArray()) })
    }

    /// Poisons the loss of one step with NaN.
    private static func nanAt(_ bad: Int) -> (Int, Tensor) throws -> Tensor {
        { step, loss in step == bad ? try loss * Float.nan : loss }
    }

    @Test func nanLossStopsAndNamesTheStep() throws {
        let t = try trainer(steps: 5)
        t.lossTransform = Self.nanAt(3)
        var seen: [Int] = []
        let error = #expect(throws: TrainingError.self) {
            try t.run {
                seen.append($0.step)
                return true
            }
        }
        #expect(seen == [1, 2])
        let message = "\(try #require(error))"
        #expect(message.contains("at step 3") && message.contains("the loss (an activation) is nan"), "\(message)")
    }

    /// A term whose value is finite (√(0·p) = 0) but whose gradient is not (½/√0 · 0 = NaN).
    private static func nanGradientAt(_ bad: Int, of parameter: Tensor) -> (Int, Tensor) throws -> Tensor {
        { step, loss in step == bad ? try loss + (parameter * 0).sqrt().sum() : loss }
    }

    /// With skipping on, the gradients are checked on the device before the update.
    @Test func nonFiniteGradientIsCaughtBeforeTheUpdate() throws {
        let t = try trainer(steps: 3, skip: 1)
        let first = try #require(t.model.namedParameters().first)
        t.lossTransform = Self.nanGradientAt(2, of: first.1)
        var skipped: [Int] = []
        try t.run { report in
            if report.skippedNonFinite { skipped.append(report.step) }
            return true
        }
        #expect(skipped == [2])
        #expect(try weights(t).values.allSatisfy { $0.allSatisfy(\.isFinite) }, "a bad update was applied")
    }

    /// Without skipping, a bad gradient is caught one step later, in the loss, with the parameter
    /// it poisoned named; and a checkpoint of poisoned weights is refused.
    @Test func poisonedParameterIsNamedAndNeverSaved() throws {
        let t = try trainer(steps: 4)
        let first = try #require(t.model.namedParameters().first)
        t.lossTransform = Self.nanGradientAt(2, of: first.1)
        let error = #expect(throws: TrainingError.self) { try t.run { _ in true } }
        let message = "\(try #require(error))"
        #expect(message.contains("at step 3") && message.contains("parameter \(first.0) holds") && message.contains("nan"), "\(message)")
        let refusal = #expect(throws: TrainingError.self) { try t.checkpoint() }
        #expect("\(try #require(refusal))".contains("not saved"))
    }

    @Test func nonFiniteParameterIsNamed() throws {
        let t = try trainer(steps: 2)
        let name = try #require(t.model.namedParameters().last).0
        var state = Dictionary(uniqueKeysWithValues: try t.model.stateDict().map { ($0.0, (shape: $0.1.shape, values: try $0.1.toArray())) })
        state[name]!.values[state[name]!.values.count - 1] = .infinity
        try t.model.load(state)
        let error = #expect(throws: TrainingError.self) { try t.run { _ in true } }
        let message = "\(try #require(error))"
        #expect(message.contains("at step 1") && message.contains("parameter \(name) holds inf"), "\(message)")
    }

    @Test func skipNonFiniteSkipsWithoutUpdating() throws {
        let t = try trainer(steps: 4, skip: 1)
        t.lossTransform = Self.nanAt(3)
        var after2: [String: [Float]] = [:]
        var skipped: [Int] = []
        try t.run { report in
            if report.step == 2 { after2 = try weights(t) }
            if report.skippedNonFinite {
                skipped.append(report.step)
                #expect(try weights(t) == after2)
            }
            return true
        }
        #expect(skipped == [3] && t.step == 4 && t.skippedNonFinite == 1)
        #expect(try t.checkpoint().extra["skipped_nonfinite"] == "1")

        let strict = try trainer(steps: 6, skip: 1)
        strict.lossTransform = { step, loss in step >= 3 ? try loss * Float.nan : loss }
        let error = #expect(throws: TrainingError.self) { try strict.run { _ in true } }
        let message = "\(try #require(error))"
        #expect(message.contains("at step 4") && message.contains("1 non-finite steps were skipped"), "\(message)")
    }
}
