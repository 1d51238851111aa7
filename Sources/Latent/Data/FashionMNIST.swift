/// Which part of a dataset to load.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train
    case test
}

/// Loads MNIST-format datasets (Fashion-MNIST, MNIST, KMNIST): a folder holding
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
/// `t10k-labels-idx1-ubyte`, each gzipped (`.gz`) or not; the `…-images.idx3-ubyte` spelling
/// some mirrors use is accepted too. Images are 1×H×W.
public enum MNISTFormat {
    /// Debian's `dataset-fashion-mnist` package installs here.
    public static let fashionMNISTFolder = "/usr/share/datasets/fashion-mnist"
    static let installHint = "install dataset-fashion-mnist or pass --data DIR"

    /// The Fashion-MNIST class names, by label.
    public static let fashionMNISTClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Loads one split from `folder` (default: the Fashion-MNIST folder). Class names are
    /// Fashion-MNIST's when loading from its folder, else the label numbers.
    public static func load(_ split: DatasetSplit, from folder: String = fashionMNISTFolder) throws -> ImageDataset {
        guard folderExists(folder) else {
            throw FileError(.notFound, path: folder, "no such folder; \(installHint)")
        }
        let prefix = split == .train ? "train" : "t10k"
        let imagesPath = try locate(folder, prefix, "images", "idx3")
        let labelsPath = try locate(folder, prefix, "labels", "idx1")
        let images = try IDX.read(imagesPath, expectedRank: 3)
        let labels = try IDX.read(labelsPath, expectedRank: 1)
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw FileError(
                .mismatch, path: labelsPath,
                "has \(labels.dimensions[0]) labels but \(imagesPath) has \(images.dimensions[0]) images")
        }
        let labelValues = labels.bytes.map { Int32($0) }
        let isFashion = folder.hasSuffix("fashion-mnist") || folder.hasSuffix("fashion-mnist/")
        let classCount = Int(labelValues.max() ?? -1) + 1
        let names =
            isFashion && classCount <= 10
            ? fashionMNISTClassNames : (0..<classCount).map(String.init)
        return try ImageDataset(
            pixels: images.bytes, labels: labelValues, channels: 1,
            height: images.dimensions[1], width: images.dimensions[2],
            classNames: names, source: "\(folder) (\(split.rawValue))")
    }

    /// The first existing spelling of a file, or a not-found error naming all that were tried.
    static func locate(_ folder: String, _ prefix: String, _ kind: String, _ idx: String) throws -> String {
        let stems = ["\(prefix)-\(kind)-\(idx)-ubyte", "\(prefix)-\(kind).\(idx)-ubyte"]
        let candidates = stems.flatMap { [$0 + ".gz", $0] }.map { folder + "/" + $0 }
        if let found = candidates.first(where: fileExists) { return found }
        let others = candidates.dropFirst().map { String($0.split(separator: "/").last!) }
        throw FileError(
            .notFound, path: candidates[0],
            "no such file (also tried \(others.joined(separator: ", "))); \(installHint)")
    }
}

/// Fashion-MNIST from Debian's `dataset-fashion-mnist` (or another folder): 60000 training and
/// 10000 test images of 28×28 clothing items in 10 classes.
public enum FashionMNIST {
    public static func load(_ split: DatasetSplit, from folder: String = MNISTFormat.fashionMNISTFolder) throws -> ImageDataset {
        try MNISTFormat.load(split, from: folder)
    }
}
