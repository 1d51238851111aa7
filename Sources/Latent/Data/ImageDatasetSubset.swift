import LatentCompute

extension ImageDataset {
    /// The images at `indices` (in that order) with their labels, as a new dataset.
    public func subset(_ indices: [Int]) throws -> ImageDataset {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw ComputeError.indexOutOfRange("image \(bad) of a dataset of \(count)")
        }
        var selected: [UInt8] = []
        selected.reserveCapacity(indices.count * imageSize)
        for index in indices { selected += image(index) }
        return try ImageDataset(
            pixels: selected, labels: indices.map { labels[$0] }, channels: channels, height: height,
            width: width, classNames: classNames, source: source)
    }

    /// `n` images drawn without replacement by a seeded shuffle (the first `n` of epoch 0's order
    /// of a shuffling `BatchLoader` with this seed), so the same seed picks the same images.
    public func randomSubset(_ n: Int, seed: UInt64) throws -> ImageDataset {
        guard n >= 1, n <= count else {
            throw ComputeError.invalidArgument("cannot draw \(n) images from a dataset of \(count)")
        }
        return try subset(Array(ShuffleRandom.permutation(count, seed: seed, epoch: 0).prefix(n)))
    }
}
