import Foundation
import CPNG

/// A folder of PNG images as a dataset.
///
/// Either class subfolders (`folder/cat/*.png`, `folder/dog/*.png`: label = index of the subfolder
/// in sorted name order, class names = folder names; PNGs at the top level are then ignored) or
/// PNGs directly in the folder (label 0).
/// All images must have the same size. Channels: 1 or 3 to convert every image, nil for automatic
/// (RGB if any image is in colour, else gray). Files are read in sorted order, so the dataset
/// order is reproducible. Hidden files and non-PNG files are ignored.
public enum ImageFolder {
    public static func load(_ folder: String, channels: Int? = nil) throws -> ImageDataset {
        guard folderExists(folder) else { throw FileError(.notFound, path: folder, "no such folder") }
        let entries = try listing(folder)
        let subfolders = entries.filter { folderExists(folder + "/" + $0) }
        let classes = try subfolders.filter { try !pngNames(folder + "/" + $0).isEmpty }
        var files: [(path: String, label: Int32)] = []
        var classNames: [String] = []
        if classes.isEmpty {
            files = try pngNames(folder).map { (folder + "/" + $0, 0) }
        } else {
            classNames = classes
            for (label, name) in classes.enumerated() {
                files += try pngNames(folder + "/" + name).map { (folder + "/" + name + "/" + $0, Int32(label)) }
            }
        }
        guard let first = files.first else {
            throw FileError(.notFound, path: folder, "no .png images in the folder or its subfolders")
        }
        var resolvedChannels = channels
        if resolvedChannels == nil {
            // Gray unless some image is in colour (headers only).
            resolvedChannels = try files.contains { try PNG.isColor($0.path) } ? 3 : 1
        }
        let c = resolvedChannels!
        let firstImage = try PNG.read(first.path, channels: c)
        var pixels = [UInt8]()
        pixels.reserveCapacity(files.count * firstImage.pixels.count)
        for file in files {
            let image = file.path == first.path ? firstImage : try PNG.read(file.path, channels: c)
            guard image.width == firstImage.width, image.height == firstImage.height else {
                throw FileError(
                    .mismatch, path: file.path,
                    "is \(image.width)x\(image.height) but \(first.path) is \(firstImage.width)x\(firstImage.height); all images must have the same size"
                )
            }
            pixels += image.planarPixels
        }
        return try ImageDataset(
            pixels: pixels, labels: files.map(\.label), channels: c,
            height: firstImage.height, width: firstImage.width, classNames: classNames, source: folder)
    }

    private static func listing(_ folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw FileError(.io, path: folder, "cannot list the folder: \(error.localizedDescription)")
        }
    }

    private static func pngNames(_ folder: String) throws -> [String] {
        try listing(folder).filter { $0.lowercased().hasSuffix(".png") && !folderExists(folder + "/" + $0) }
    }
}

extension PNG {
    /// Whether a PNG's header says it is in colour (reads the header only).
    static func isColor(_ path: String) throws -> Bool {
        guard fileExists(path) else { throw FileError(.notFound, path: path, "no such file") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let message = withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw FileError(.malformed, path: path, "not a readable PNG: \(message)")
        }
        return image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
    }
}
