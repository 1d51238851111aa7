import LatentCompute

/// Test-split figures of a `ConvClassifier`.
public struct ClassifierEvaluation: Sendable, Equatable {
    public var images: Int
    /// Fraction of images whose largest logit is their label's.
    public var accuracy: Double
    /// Mean cross-entropy in nats.
    public var loss: Double
}

extension ConvClassifier {
    /// Accuracy and cross-entropy over the first `limit` images of `dataset` (all when nil), in
    /// eval mode without gradients, `batchSize` images at a time.
    public func evaluate(
        _ dataset: ImageDataset, on device: any Device, limit: Int? = nil,
        batchSize: Int = 500
    ) throws -> ClassifierEvaluation {
        guard min(limit ?? dataset.count, dataset.count) > 0 else {
            throw ComputeError.invalidArgument("classifier evaluation of an empty dataset")
        }
        let collector = FeatureCollector(classifier: self)
        try collector.add(dataset, limit: limit, batchSize: batchSize, on: device)
        return ClassifierEvaluation(
            images: collector.labelledCount, accuracy: collector.accuracy ?? 0,
            loss: collector.meanCrossEntropy ?? 0)
    }
}
