/// One rank's part of a global batch: rows `start..<start + count` of `total`. The ranks split a
/// batch into contiguous parts in rank order, as even as possible, so the concatenation of the
/// parts is the batch a single process would draw.
public struct BatchShard: Sendable, Equatable {
    public let start: Int
    public let count: Int
    public let total: Int

    /// Rank `rank`'s part of a batch of `total` rows split `ranks` ways.
    public init(rank: Int, of ranks: Int, total: Int) {
        let begin = rank * total / ranks, end = (rank + 1) * total / ranks
        (start, count, self.total) = (begin, end - begin, total)
    }

    /// This rank's share of a mean over the global batch: count / total.
    public var weight: Float { Float(count) / Float(total) }
}

extension Batch {
    /// The rows of `shard` (its images, labels and indices); position and next stay the global batch's.
    public func rows(_ shard: BatchShard) -> Batch {
        let imageSize = shape.dropFirst().reduce(1, *)
        let range = shard.start..<(shard.start + shard.count)
        return Batch(
            images: Array(images[(range.lowerBound * imageSize)..<(range.upperBound * imageSize)]),
            labels: Array(labels[range]), shape: [shard.count] + shape.dropFirst(),
            indices: Array(indices[range]), position: position, next: next)
    }
}

/// Checks that a global batch size splits over `ranks` with every rank getting at least one image
/// in every batch, including the last, shorter batch of an epoch of `images`.
public func validateDataParallelLayout(globalBatch: Int, ranks: Int, images: Int) throws {
    guard globalBatch >= ranks else {
        throw DistributedError.invalidLayout(
            "the global batch (\(globalBatch)) is smaller than the number of ranks (\(ranks)); every rank needs an image")
    }
    let last = images % globalBatch
    guard last == 0 || last >= ranks else {
        throw DistributedError.invalidLayout(
            "the last batch of an epoch holds \(last) of \(images) images, fewer than the \(ranks) ranks; "
                + "choose a global batch size that divides \(images) or leaves at least \(ranks) over")
    }
}
