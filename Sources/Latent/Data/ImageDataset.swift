/// A labelled set of same-sized 8-bit images in host memory, N×C×H×W (channel-planar).
///
/// IDX files (MNIST, Fashion-MNIST, KMNIST) and PNG folders both load into this; `BatchLoader`
/// turns it into scaled Float32 batches.
public struct ImageDataset: Sendable {
    /// All pixels, image after image, each C×H×W.
    public let pixels: [UInt8]
    /// One label per image (class index; 0 when the source has no classes).
    public let labels: [Int32]
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Class names by label, when the source has them (may be empty).
    public let classNames: [String]
    /// Where the data came from (for messages and model cards).
    public let source: String

    public var count: Int { labels.count }
    /// Values per image: C·H·W.
    public var imageSize: Int { channels * height * width }

    public init(
        pixels: [UInt8], labels: [Int32], channels: Int, height: Int, width: Int,
        classNames: [String] = [], source: String = ""
    ) throws {
        guard channels > 0, height > 0, width > 0, pixels.count == labels.count * channels * height * width else {
            throw ComputeError.shapeMismatch(
                "\(pixels.count) pixels for \(labels.count) images of \(channels)x\(height)x\(width)")
        }
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
        self.classNames = classNames
        self.source = source
    }

    /// The pixels of image `index` (C×H×W).
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        pixels[(index * imageSize)..<((index + 1) * imageSize)]
    }
}
