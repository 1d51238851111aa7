import LatentCompute
import Testing
@testable import Latent

/// The weight EMA starts from the weights the first forward pass initialised from data, and may
/// warm up.
@Suite struct TrainingEMATests {
    private func flowTrainer(emaWarmup: Bool = false) throws -> Trainer {
        let device = CPUDevice.shared
        let data = try ClassifierTests.barImages(count: 8, seed: 3)
        let model = try NormalizingFlow(configJSON: #"{"stepsPerLevel": 1, "hidden": 4}"#, device: device, seed: 1)
        let loader = try BatchLoader(dataset: data, batchSize: 8, seed: 4, scaling: NormalizingFlow.pixelScaling)
        let configuration = TrainingConfiguration(steps: 1, batchSize: 8, learningRate: 1e-3, emaDecay: 0.999, emaWarmup: emaWarmup)
        return try Trainer(model: model, configuration: configuration, loader: loader, device: device)
    }

    /// ActNorm's data-dependent initialisation runs in step 1's forward pass: after that step the
    /// EMA's bias is 0.999·(initialised bias) + 0.001·(bias after the update), not 0.001·bias.
    @Test func flowEMAHasTheInitialisedActNorm() throws {
        let t = try flowTrainer()
        try t.run { _ in true }
        let shadow = Dictionary(uniqueKeysWithValues: try #require(t.ema).shadow)
        let name = try #require(t.model.namedParameters().map(\.0).first { $0.hasSuffix("actnorm.bias") })
        let parameter = try #require(t.model.namedParameters().first { $0.0 == name }).1.toArray()
        let average = try #require(shadow[name]).toArray()
        #expect(parameter.contains { Swift.abs($0) > 0.05 }, "ActNorm was not initialised: \(parameter)")
        // One Adam step moves a weight by about lr = 1e-3.
        for (p, a) in zip(parameter, average) { #expect(Swift.abs(p - a) < 2e-3, "EMA \(a) beside weight \(p)") }
    }

    @Test func warmUpDecayGrowsToTheConfiguredOne() throws {
        let ema = try #require(try flowTrainer(emaWarmup: true).ema)
        #expect(ema.warmedUpDecay(update: 0) == 0.1)
        #expect(ema.warmedUpDecay(update: 90) == Float(91) / Float(100))
        #expect(ema.warmedUpDecay(update: 1_000_000) == 0.999)
    }
}
