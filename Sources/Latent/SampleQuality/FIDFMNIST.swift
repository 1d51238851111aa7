import LatentCompute

/// FID-FMNIST: the Fréchet distance between the Gaussians of `ConvClassifier` features (its
/// penultimate layer, trained with Latent on Fashion-MNIST) of a set of images and of the test set.
/// Like FID with Inception features, it is biased upwards for few images, so a score is only
/// meaningful next to its floor: the distance of as many real training images (`floor`).
public struct FIDFMNIST {
    public let classifier: ConvClassifier
    public let device: any Device
    /// Feature statistics of the reference (test) set.
    public let reference: GaussianStatistics
    /// The classifier's accuracy on the reference set (a check that the right classifier and data are in use).
    public let referenceAccuracy: Double
    public let batchSize: Int

    /// Computes the reference statistics of `test` (all of it) on `device`, `batchSize` images at a time.
    public init(classifier: ConvClassifier, test: ImageDataset, device: any Device, batchSize: Int = 500) throws {
        let collector = FeatureCollector(classifier: classifier)
        try collector.add(test, batchSize: batchSize, on: device)
        self.classifier = classifier
        self.device = device
        self.batchSize = batchSize
        reference = try collector.statistics()
        referenceAccuracy = collector.accuracy ?? 0
    }

    /// The distance of the images a collector has seen (generated samples) to the reference set.
    public func distance(_ collector: FeatureCollector) throws -> Double {
        try FrechetDistance.between(collector.statistics(), reference)
    }

    /// The distance of `count` images of `train` (a seeded random subset) to the reference set:
    /// the score a perfect generator would get with `count` samples.
    public func floor(train: ImageDataset, count: Int, seed: UInt64) throws -> Double {
        let collector = FeatureCollector(classifier: classifier)
        try collector.add(train.randomSubset(count, seed: seed), batchSize: batchSize, on: device)
        return try distance(collector)
    }
}
