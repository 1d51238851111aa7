/// A place in the stream of batches: batch `batch` (0-based) of epoch `epoch`. A checkpoint stores
/// the position of the next batch to draw, so a resumed run continues exactly where it stopped.
public struct BatchPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var epoch: Int
    public var batch: Int

    public init(epoch: Int, batch: Int) {
        self.epoch = epoch
        self.batch = batch
    }

    public static let start = BatchPosition(epoch: 0, batch: 0)

    public static func < (a: BatchPosition, b: BatchPosition) -> Bool { (a.epoch, a.batch) < (b.epoch, b.batch) }
    public var description: String { "epoch \(epoch) batch \(batch)" }
}

/// How 8-bit pixels become floats.
public enum PixelScaling: Sendable, Equatable {
    /// 0…255 → 0…1.
    case zeroToOne
    /// 0…255 → -1…1.
    case minusOneToOne

    public var range: ClosedRange<Float> { self == .zeroToOne ? 0...1 : -1...1 }

    @inline(__always) func scale(_ pixel: UInt8) -> Float {
        self == .zeroToOne ? Float(pixel) / 255 : Float(pixel) / 255 * 2 - 1
    }
}

/// One batch: images N×C×H×W as Float32 (scaled), labels as Int32.
public struct Batch: Sendable {
    public let images: [Float]
    public let labels: [Int32]
    /// [N, C, H, W].
    public let shape: [Int]
    /// Dataset indices of the images, in batch order.
    public let indices: [Int]
    /// Where this batch is in the stream.
    public let position: BatchPosition
    /// The position of the batch after this one (what a checkpoint taken now should store).
    public let next: BatchPosition

    /// The images as a device tensor.
    public func imagesTensor(on device: any Device) throws -> Tensor { try Tensor(images, shape: shape, on: device) }
    /// The labels as an Int32 device tensor of shape [N].
    public func labelsTensor(on device: any Device) throws -> Tensor {
        try Tensor(indices: labels, shape: [labels.count], on: device)
    }
}

/// Cuts a dataset into batches: seeded shuffling (the order of epoch e depends only on the seed and
/// e), batching (the last partial batch kept or dropped), scaling to [0,1] or [-1,1].
///
/// `batch(at:)` computes any batch directly from its position; `batches(from:toEpoch:prefetch:)`
/// streams them with a background thread preparing the next ones while the caller computes.
/// Both give the same batches, so resuming from a stored `BatchPosition` equals never stopping.
public struct BatchLoader: Sendable {
    public let dataset: ImageDataset
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let dropLast: Bool
    public let scaling: PixelScaling

    public init(
        dataset: ImageDataset, batchSize: Int, seed: UInt64, shuffle: Bool = true,
        dropLast: Bool = false, scaling: PixelScaling = .zeroToOne
    ) throws {
        guard batchSize > 0 else { throw ComputeError.invalidArgument("batch size must be positive, not \(batchSize)") }
        self.dataset = dataset
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.scaling = scaling
    }

    /// Batches per epoch (0 when dropping the last batch and the dataset is smaller than one batch).
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The dataset indices in the order epoch `epoch` visits them.
    public func order(epoch: Int) -> [Int] {
        shuffle ? ShuffleRandom.permutation(dataset.count, seed: seed, epoch: epoch) : Array(0..<dataset.count)
    }

    /// The position after `position` (wrapping into the next epoch).
    public func position(after position: BatchPosition) -> BatchPosition {
        position.batch + 1 >= batchesPerEpoch
            ? BatchPosition(epoch: position.epoch + 1, batch: 0)
            : BatchPosition(epoch: position.epoch, batch: position.batch + 1)
    }

    /// The batch at `position` (shuffles the epoch's order: O(dataset size)).
    public func batch(at position: BatchPosition) throws -> Batch {
        try batch(at: position, order: order(epoch: position.epoch))
    }

    func batch(at position: BatchPosition, order: [Int]) throws -> Batch {
        guard position.epoch >= 0, position.batch >= 0, position.batch < batchesPerEpoch else {
            throw ComputeError.indexOutOfRange("\(position) (an epoch has \(batchesPerEpoch) batches)")
        }
        let start = position.batch * batchSize
        let indices = Array(order[start..<min(start + batchSize, order.count)])
        let size = dataset.imageSize
        var images = [Float](repeating: 0, count: indices.count * size)
        let scaling = scaling
        dataset.pixels.withUnsafeBufferPointer { pixels in
            images.withUnsafeMutableBufferPointer { out in
                for (row, index) in indices.enumerated() {
                    let src = index * size, dst = row * size
                    for k in 0..<size { out[dst + k] = scaling.scale(pixels[src + k]) }
                }
            }
        }
        return Batch(
            images: images, labels: indices.map { dataset.labels[$0] },
            shape: [indices.count, dataset.channels, dataset.height, dataset.width],
            indices: indices, position: position, next: self.position(after: position))
    }

    /// Streams batches from `start` up to (not including) epoch `toEpoch` (nil: forever), with a
    /// background thread keeping up to `prefetch` batches ready.
    public func batches(from start: BatchPosition = .start, toEpoch: Int? = nil, prefetch: Int = 2) -> PrefetchingBatches {
        PrefetchingBatches(loader: self, start: start, endEpoch: toEpoch, capacity: max(1, prefetch))
    }
}
