import LatentCompute

/// Runs image batches through a classifier on its device (eval mode, no gradients) and keeps the
/// penultimate features on the host for `GaussianStatistics`, together with the accuracy and
/// cross-entropy on the batches that come with labels.
public final class FeatureCollector {
    public let classifier: ConvClassifier
    /// Feature rows, `count` × `dimension`, in the order the images were added.
    public private(set) var features: [Float] = []
    public private(set) var count = 0
    /// Images added with labels, how many of them the classifier got right, and their summed cross-entropy.
    public private(set) var labelledCount = 0
    public private(set) var correctCount = 0
    public private(set) var crossEntropySum = 0.0

    public init(classifier: ConvClassifier) { self.classifier = classifier }

    public var dimension: Int { classifier.config.features }
    /// The fraction of labelled images classified correctly (nil when none had labels).
    public var accuracy: Double? { labelledCount > 0 ? Double(correctCount) / Double(labelledCount) : nil }
    /// The mean cross-entropy of the labelled images in nats (nil when none had labels).
    public var meanCrossEntropy: Double? { labelledCount > 0 ? crossEntropySum / Double(labelledCount) : nil }

    /// Adds images [N, 1, 28, 28] in [−1, 1] on the classifier's device, with optional class labels.
    public func add(_ images: Tensor, labels: [Int32]? = nil) throws {
        let n = images.shape.first ?? 0
        if let labels, labels.count != n {
            throw ComputeError.shapeMismatch("\(labels.count) labels for \(n) images")
        }
        let wasTraining = classifier.training
        classifier.eval()
        defer { classifier.train(wasTraining) }
        try withoutGrad {
            let (batchFeatures, logits) = try classifier.featuresAndLogits(images)
            features += try batchFeatures.toArray()
            count += n
            guard let labels else { return }
            let labelTensor = try Tensor(indices: labels, shape: [n], on: images.device)
            let hits = try ConvClassifier.accuracy(logits: logits, labels: labelTensor).item() * Float(n)
            correctCount += Int(hits.rounded())
            crossEntropySum += Double(try Tensor.crossEntropyLoss(logits, labels: labelTensor).item()) * Double(n)
            labelledCount += n
        }
    }

    /// Adds the first `limit` images of `dataset` (all when nil) with their labels, scaled to
    /// [−1, 1], `batchSize` at a time, on `device` (the classifier's).
    public func add(_ dataset: ImageDataset, limit: Int? = nil, batchSize: Int = 500, on device: any Device) throws {
        let total = min(limit ?? dataset.count, dataset.count)
        let loader = try BatchLoader(
            dataset: dataset, batchSize: batchSize, seed: 0, shuffle: false,
            scaling: ConvClassifier.pixelScaling)
        var done = 0
        for b in 0..<loader.batchesPerEpoch where done < total {
            let batch = try loader.batch(at: BatchPosition(epoch: 0, batch: b))
            let n = min(batch.shape[0], total - done)
            try add(batch.imagesTensor(on: device).slice(axis: 0, 0..<n), labels: Array(batch.labels.prefix(n)))
            done += n
        }
    }

    /// Mean and covariance of the features collected so far (needs at least two images).
    public func statistics() throws -> GaussianStatistics {
        try GaussianStatistics(rows: features, dimension: dimension)
    }
}
