import LatentCompute
import Testing
@testable import Latent

/// A training step never waits for the device: the finiteness check, the skip decision, the clip
/// factor and Adam's t stay there, and the loss, metrics and norm are read only when reported.
@Suite struct TrainingHostSyncTests {
    private func trainer(on device: any Device, clip: Float?, skip: Int = 0, steps: Int = 4, logEvery: Int = 1) throws -> Trainer {
        let data = try ClassifierTests.barImages(count: 16, seed: 3)
        let model = try ConvClassifier(configJSON: #"{"channels": [2, 2], "features": 4}"#, device: device, seed: 2)
        let loader = try BatchLoader(dataset: data, batchSize: 8, seed: 4, scaling: ConvClassifier.pixelScaling)
        let configuration = TrainingConfiguration(
            steps: steps, batchSize: 8, learningRate: 3e-3, gradientClip: clip, skipNonFinite: skip, logEvery: logEvery)
        return try Trainer(model: model, configuration: configuration, loader: loader, device: device)
    }

    @Test(arguments: [(Float?.none, 0), (Float?.some(0.01), 0), (Float?.some(0.01), 1)])
    func noHostWaitPerStep(clip: Float?, skip: Int) throws {
        // A device of its own, so parallel tests do not add to its counts.
        let device = CPUDevice(threads: 1)
        let t = try trainer(on: device, clip: clip, skip: skip)
        let batch = try t.loader.batch(at: .start)
        let before = device.activity
        for _ in 0..<3 { try t.trainStep(on: batch) }
        #expect(device.activity.since(before).waits == 0)
        let report = try t.readReport()
        #expect(device.activity.since(before).waits == 1, "the report is one read")
        #expect(report.step == 3 && report.loss.isFinite && report.valuesRead)
        if clip != nil { #expect(try #require(report.gradientNorm) > 0.01, "the clip must bind in this test") }
    }

    /// `run` reads every `logEvery` steps and at the last: 8 steps, logging every 4, wait twice.
    @Test func runReadsOnlyAtLoggingSteps() throws {
        let device = CPUDevice(threads: 1)
        let t = try trainer(on: device, clip: 0.01, skip: 1, steps: 8, logEvery: 4)
        let before = device.activity
        var read: [Int] = []
        try t.run { report in
            if report.valuesRead { read.append(report.step) } else { #expect(report.loss.isNaN && report.metrics.isEmpty) }
            return true
        }
        #expect(read == [4, 8])
        #expect(device.activity.since(before).waits == 2)
    }
}
