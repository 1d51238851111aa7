import Foundation
import LatentCompute
import Testing
@testable import Latent

/// The FID-FMNIST classifier: its layout, metrics, training, evaluation and feature pipeline.
@Suite struct ClassifierTests {
    /// Ten classes of synthetic 28×28 images: class k is a bright horizontal bar at row 2k + 4 over
    /// seeded speckle, so a few training steps can learn them.
    static func barImages(count: Int, seed: UInt64) throws -> ImageDataset {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for i in 0..<count {
            let label = i % 10
            for row in 0..<28 {
                for _ in 0..<28 {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let speckle = UInt8(truncatingIfNeeded: state >> 58)  // 0...63
                    pixels.append(abs(row - (2 * label + 4)) <= 1 ? 200 + speckle / 2 : speckle)
                }
            }
            labels.append(Int32(label))
        }
        return try ImageDataset(pixels: pixels, labels: labels, channels: 1, height: 28, width: 28)
    }

    @Test func layoutNamesAndParameterCount() throws {
        let model = try ConvClassifier(configJSON: "{}", device: CPUDevice.shared, seed: 1)
        #expect(
            model.namedParameters().map(\.0) == [
                "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias", "body.5.weight", "body.5.bias",
                "body.9.weight", "body.9.bias", "head.weight", "head.bias",
            ])
        #expect(model.body.layers.count == 11)
        // 320 + 9248 + 9248 + 1568·128 + 128 + 128·10 + 10: a checkpoint with Adam moments stays under 3 MB.
        #expect(model.parameterCount == 220_938)
        #expect(3 * 4 * model.parameterCount < 3_000_000)
        let x = try Tensor.zeros([3, 1, 28, 28], on: CPUDevice.shared)
        let (features, logits) = try model.featuresAndLogits(x)
        #expect(features.shape == [3, 128] && logits.shape == [3, 10])
        #expect(throws: (any Error).self) { try model.featuresAndLogits(Tensor.zeros([3, 1, 32, 32], on: CPUDevice.shared)) }
    }

    @Test func configJSONRoundTripsAndRejectsBadValues() throws {
        let config = ClassifierConfig(channels: [8, 16], features: 32, classes: 5)
        #expect(try ClassifierConfig(json: config.json) == config)
        #expect(try ClassifierConfig(json: "{}") == ClassifierConfig())
        let model = try ConvClassifier(configJSON: config.json, device: CPUDevice.shared, seed: 0)
        #expect(model.head.weight.shape == [5, 32] && model.configJSON == config.json)
        for bad in [#"{"channels": [8]}"#, #"{"features": 0}"#, #"{"classes": 1}"#, #"{"channels": "x"}"#] {
            #expect(throws: (any Error).self, "\(bad)") { try ClassifierConfig(json: bad) }
        }
        #expect(try ModelRegistry.type(named: "classifier") == ConvClassifier.self)
        #expect(ConvClassifier.pixelScaling == DDPMModel.pixelScaling)
    }

    @Test func accuracyCountsRowsWhoseLargestLogitIsTheLabel() throws {
        let device = CPUDevice.shared
        let logits = try Tensor([0, 5, 1, /**/ 2, 0, 0, /**/ 1, 1, 0, /**/ 0, 0, 3], shape: [4, 3], on: device)
        // Rows: hit, miss (label 1), tie counted as a hit, miss (label 0).
        let labels = try Tensor(indices: [1, 1, 0, 0], shape: [4], on: device)
        #expect(try ConvClassifier.accuracy(logits: logits, labels: labels).item() == 0.5)
        #expect(throws: (any Error).self) {
            try ConvClassifier.accuracy(logits: logits, labels: Tensor(indices: [1, 1], shape: [2], on: device))
        }
    }

    /// A few Adam steps through the real training loop on the CPU: the loss falls, the batch
    /// accuracy metric is logged, and the evaluation agrees that the classes were learnt.
    @Test func trainsOnTheCPUAndItsLossFalls() throws {
        let device = CPUDevice.shared
        let data = try Self.barImages(count: 160, seed: 3)
        let model = try ConvClassifier(configJSON: #"{"channels": [8, 8], "features": 32}"#, device: device, seed: 2)
        let loader = try BatchLoader(dataset: data, batchSize: 32, seed: 4, scaling: ConvClassifier.pixelScaling)
        let trainer = try Trainer(
            model: model, configuration: TrainingConfiguration(steps: 30, batchSize: 32, learningRate: 3e-3),
            loader: loader, device: device)
        let before = try model.evaluate(data, on: device)
        var reports: [StepReport] = []
        try trainer.run {
            reports.append($0)
            return true
        }
        #expect(reports.count == 30)
        #expect(reports.allSatisfy { $0.metrics.map(\.0) == ["accuracy"] })
        let first = reports[0].loss, last = reports.suffix(5).map(\.loss).reduce(0, +) / 5
        #expect(last < 0.5 * first, "loss \(first) → \(last)")
        let after = try model.evaluate(data, on: device)
        #expect(after.images == 160)
        #expect(after.accuracy > 0.8 && after.accuracy > before.accuracy + 0.3, "accuracy \(before.accuracy) → \(after.accuracy)")
        #expect(after.loss < before.loss)
    }

    @Test func featuresAgreeOnCPUAndOpenCL() throws {
        let data = try Self.barImages(count: 8, seed: 5)
        var results: [[Float]] = []
        for device in [CPUDevice.shared, try DeviceSelection.resolve(.opencl)] {
            let model = try ConvClassifier(configJSON: "{}", device: device, seed: 7)
            let collector = FeatureCollector(classifier: model)
            try collector.add(data, batchSize: 3, on: device)
            #expect(collector.count == 8 && collector.labelledCount == 8)
            results.append(collector.features)
        }
        let scale = results[0].map(abs).max() ?? 0
        #expect(scale > 0)
        #expect(zip(results[0], results[1]).map { abs($0 - $1) }.max()! < 1e-4 * scale)
    }

    /// The FID pipeline on one set: the set against itself and its own "floor" (a permutation of
    /// all of it) are at distance 0; a different set is not.
    @Test func fidOfASetAgainstItselfIsZero() throws {
        let device = CPUDevice.shared
        let data = try Self.barImages(count: 40, seed: 8)
        let model = try ConvClassifier(configJSON: #"{"channels": [4, 4], "features": 16}"#, device: device, seed: 1)
        let fid = try FIDFMNIST(classifier: model, test: data, device: device, batchSize: 16)
        #expect(fid.reference.count == 40 && fid.reference.dimension == 16)
        #expect(try fid.floor(train: data, count: 40, seed: 2) < 1e-9)
        let same = FeatureCollector(classifier: model)
        try same.add(
            BatchLoader(dataset: data, batchSize: 40, seed: 0, shuffle: false, scaling: .minusOneToOne)
                .batch(at: .start).imagesTensor(on: device))
        #expect(same.accuracy == nil && same.count == 40)
        #expect(try fid.distance(same) < 1e-9)
        #expect(try fid.floor(train: Self.barImages(count: 40, seed: 9), count: 20, seed: 2) > 1e-6)
        #expect(throws: (any Error).self) { try fid.floor(train: data, count: 41, seed: 0) }
    }

    /// Batched sampling gives the images of one call (noise indexed by image), labels cycling.
    @Test func batchedSamplingEqualsOneBatch() throws {
        let configuration = DDPMConfiguration(unet: TinyUNetFixture.configuration)
        let model = try DDPMModel(configuration, initializer: ParameterInitializer(seed: 3, device: CPUDevice.shared))
        try model.load(TinyUNetFixture.weights(TinyUNetFixture.file()))
        model.eval()
        let labels = try #require(model.cyclingLabels(count: 12))
        #expect(labels == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        let options = SamplerOptions(method: .ddim(steps: 3, eta: 1), guidanceScale: 1, seed: 5)
        let whole = try model.sample(count: 5, labels: Array(labels.prefix(5)), options: options).toArray()
        var parts: [Float] = []
        var seenLabels: [Int32] = []
        try model.sample(count: 5, labels: Array(labels.prefix(5)), options: options, batchSize: 2) { images, batchLabels in
            parts += try images.toArray()
            seenLabels += batchLabels ?? []
        }
        #expect(seenLabels == [0, 1, 2, 3, 4])
        #expect(zip(whole, parts).map { abs($0 - $1) }.max()! < 1e-5 && whole.count == parts.count)
    }
}
