import LatentCompute
import Testing
@testable import Latent

/// A training step waits for the device once: the loss, the metrics and, with clipping, every
/// gradient's squared norm come back in one read.
@Suite struct TrainingHostSyncTests {
    private func trainer(on device: any Device, clip: Float?, skip: Int = 0) throws -> Trainer {
        let data = try ClassifierTests.barImages(count: 16, seed: 3)
        let model = try ConvClassifier(configJSON: #"{"channels": [2, 2], "features": 4}"#, device: device, seed: 2)
        let loader = try BatchLoader(dataset: data, batchSize: 8, seed: 4, scaling: ConvClassifier.pixelScaling)
        let configuration = TrainingConfiguration(
            steps: 4, batchSize: 8, learningRate: 3e-3, gradientClip: clip, skipNonFinite: skip)
        return try Trainer(model: model, configuration: configuration, loader: loader, device: device)
    }

    @Test(arguments: [(Float?.none, 0), (Float?.some(0.01), 0), (Float?.some(0.01), 1)])
    func oneHostReadPerStep(clip: Float?, skip: Int) throws {
        // A device of its own, so parallel tests do not add to its counts.
        let device = CPUDevice(threads: 1)
        let t = try trainer(on: device, clip: clip, skip: skip)
        let batch = try t.loader.batch(at: .start)
        let before = device.activity
        let report = try t.trainStep(on: batch)
        #expect(device.activity.since(before).waits == 1)
        #expect(report.loss.isFinite)
        if clip != nil { #expect(try #require(report.gradientNorm) > 0.01, "the clip must bind in this test") }
    }
}
