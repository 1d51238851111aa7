import CPNG
import Foundation
import Testing
@testable import Latent

private let fashionAvailable = FileManager.default.fileExists(atPath: MNISTFormat.fashionMNISTFolder + "/train-images-idx3-ubyte.gz")

/// Writes `bytes` gzip-compressed (via zlib) to `path`.
private func writeGzip(_ bytes: [UInt8], to path: String) {
    let file = gzopen(path, "wb")!
    _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    gzclose(file)
}

/// Big-endian IDX header bytes.
private func idxHeader(_ rank: UInt8, _ dims: [Int], typeCode: UInt8 = 0x08) -> [UInt8] {
    var out: [UInt8] = [0, 0, typeCode, rank]
    for d in dims {
        for shift in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: d >> shift)) }
    }
    return out
}

/// A small valid MNIST-format folder: `count` images of 4×3, pixel = (image*7 + k) % 256, label = image % 10.
private func makeFolder(
    _ folder: TempFolder, count: Int = 5, labelCount: Int? = nil, gzip: Bool, split: String = "train",
    spelling: String = "-"
) throws {
    let pixels = (0..<(count * 12)).map { (k: Int) -> UInt8 in UInt8((k / 12 * 7 + k % 12) % 256) }
    let labels = (0..<(labelCount ?? count)).map { UInt8($0 % 10) }
    let ext = gzip ? ".gz" : ""
    try IDX.write(IDXArray(dimensions: [count, 4, 3], bytes: pixels), to: folder.file("\(split)-images\(spelling)idx3-ubyte\(ext)"), gzip: gzip)
    try IDX.write(IDXArray(dimensions: [labels.count], bytes: labels), to: folder.file("\(split)-labels\(spelling)idx1-ubyte\(ext)"), gzip: gzip)
}

@Suite struct IDXTests {
    @Test(.enabled(if: fashionAvailable, "needs Debian's dataset-fashion-mnist"))
    func realFashionMNISTLoads() throws {
        let train = try FashionMNIST.load(.train)
        let test = try FashionMNIST.load(.test)
        #expect(train.count == 60000 && test.count == 10000)
        #expect(train.channels == 1 && train.height == 28 && train.width == 28)
        #expect(test.height == 28 && test.width == 28)
        #expect(train.labels.prefix(10) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(test.labels.prefix(10) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        var perClass = [Int](repeating: 0, count: 10)
        for label in train.labels { perClass[Int(label)] += 1 }
        #expect(perClass == [Int](repeating: 6000, count: 10))
        #expect(train.image(0).reduce(0) { $0 + Int($1) } == 76247)
        #expect(train.image(59999).reduce(0) { $0 + Int($1) } == 16684)
        #expect(test.image(0).reduce(0) { $0 + Int($1) } == 33456)
        let row = train.image(0).dropFirst(14 * 28 + 10).prefix(8)
        #expect(Array(row) == [0, 0, 237, 226, 217, 223, 222, 219])
        let testRow = test.image(9999).dropFirst(20 * 28 + 5).prefix(7)
        #expect(Array(testRow) == [31, 58, 50, 53, 54, 57, 60])
        #expect(train.classNames[9] == "Ankle boot")
    }

    @Test(arguments: [true, false])
    func syntheticFolderLoads(gzip: Bool) throws {
        let folder = TempFolder()
        try makeFolder(folder, count: 7, gzip: gzip, split: "t10k")
        let data = try MNISTFormat.load(.test, from: folder.path)
        #expect(data.count == 7 && data.height == 4 && data.width == 3 && data.channels == 1)
        #expect(data.labels == [0, 1, 2, 3, 4, 5, 6])
        #expect(Array(data.image(2)) == (0..<12).map { UInt8(14 + $0) })
        #expect(data.classNames == (0..<7).map(String.init))
    }

    @Test func dottedSpellingIsAccepted() throws {
        let folder = TempFolder()
        try makeFolder(folder, gzip: false, spelling: ".")
        #expect(try MNISTFormat.load(.train, from: folder.path).count == 5)
    }

    @Test(arguments: [true, false])
    func badMagic(gzip: Bool) {
        let folder = TempFolder()
        let bytes: [UInt8] = [0x12, 0x34, 0x08, 0x03] + [UInt8](repeating: 0, count: 20)
        if gzip { writeGzip(bytes, to: folder.file("x")) } else { folder.write(bytes, to: "x") }
        expectFileError(.malformed, folder.file("x"), "bad magic 0x12340803") { _ = try IDX.read(folder.file("x")) }
    }

    @Test func unsupportedElementType() {
        let folder = TempFolder()
        folder.write(idxHeader(1, [2], typeCode: 0x0D) + [UInt8](repeating: 0, count: 8), to: "floats")
        expectFileError(.unsupported, "element type 0xd") { _ = try IDX.read(folder.file("floats")) }
    }

    @Test(arguments: [true, false])
    func truncatedHeader(gzip: Bool) {
        let folder = TempFolder()
        let bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 5, 0, 0]
        if gzip { writeGzip(bytes, to: folder.file("h")) } else { folder.write(bytes, to: "h") }
        expectFileError(.truncated, "truncated: header needs 12 bytes of dimensions, file has 6") { _ = try IDX.read(folder.file("h")) }
        folder.write([0, 0], to: "tiny")
        expectFileError(.truncated, "fewer than the 4-byte IDX magic") { _ = try IDX.read(folder.file("tiny")) }
    }

    @Test(arguments: [true, false])
    func truncatedData(gzip: Bool) {
        let folder = TempFolder()
        let bytes = idxHeader(3, [5, 4, 4]) + [UInt8](repeating: 9, count: 30)
        if gzip { writeGzip(bytes, to: folder.file("d")) } else { folder.write(bytes, to: "d") }
        expectFileError(.truncated, folder.file("d") + ": truncated: header says 5 images of 4x4, file has 30 bytes of pixels") {
            _ = try IDX.read(folder.file("d"), expectedRank: 3)
        }
    }

    @Test func truncatedGzipStream() throws {
        let folder = TempFolder()
        let pixels = (0..<4000).map { (k: Int) -> UInt8 in UInt8(truncatingIfNeeded: (k &* 2654435761) >> 7) }
        try IDX.write(IDXArray(dimensions: [10, 20, 20], bytes: pixels), to: folder.file("full.gz"), gzip: true)
        let compressed = readBytes(folder.file("full.gz"))
        folder.write(Array(compressed.prefix(compressed.count / 2)), to: "half.gz")
        expectFileError(.truncated, "header says 10 images of 20x20, file has") { _ = try IDX.read(folder.file("half.gz")) }
    }

    @Test func corruptGzipData() {
        let folder = TempFolder()
        // A gzip header followed by bytes that are not a deflate stream.
        folder.write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0xff, count: 64), to: "bad.gz")
        expectFileError(.malformed, "corrupt gzip data") { _ = try IDX.read(folder.file("bad.gz")) }
    }

    @Test func trailingBytesAreRefused() {
        let folder = TempFolder()
        folder.write(idxHeader(1, [3]) + [1, 2, 3, 4], to: "labels")
        expectFileError(.malformed, "more data than its header (3 labels)") { _ = try IDX.read(folder.file("labels")) }
    }

    @Test func wrongRankIsNamed() throws {
        let folder = TempFolder()
        try makeFolder(folder, gzip: true)
        // Swap: a label file where images are expected.
        try FileManager.default.removeItem(atPath: folder.file("train-images-idx3-ubyte.gz"))
        try FileManager.default.copyItem(atPath: folder.file("train-labels-idx1-ubyte.gz"), toPath: folder.file("train-images-idx3-ubyte.gz"))
        expectFileError(.malformed, "magic 0x00000801 announces 1 dimensions, expected 3 (magic 0x00000803)") {
            _ = try MNISTFormat.load(.train, from: folder.path)
        }
    }

    @Test func labelImageCountMismatch() throws {
        let folder = TempFolder()
        try makeFolder(folder, count: 5, labelCount: 4, gzip: true)
        expectFileError(.mismatch, "has 4 labels but", "has 5 images") { _ = try MNISTFormat.load(.train, from: folder.path) }
    }

    @Test func missingFilesAndFolders() throws {
        let folder = TempFolder()
        try makeFolder(folder, gzip: true)
        try FileManager.default.removeItem(atPath: folder.file("train-labels-idx1-ubyte.gz"))
        expectFileError(.notFound, folder.file("train-labels-idx1-ubyte.gz"), "no such file", "install dataset-fashion-mnist or pass --data DIR") {
            _ = try MNISTFormat.load(.train, from: folder.path)
        }
        expectFileError(.notFound, "no such folder; install dataset-fashion-mnist or pass --data DIR") {
            _ = try MNISTFormat.load(.train, from: folder.file("nope"))
        }
        expectFileError(.notFound, "no such file") { _ = try IDX.read(folder.file("absent")) }
    }

    @Test func absurdDimensionsAreRefusedWithoutAllocating() {
        let folder = TempFolder()
        folder.write(idxHeader(3, [0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff]), to: "huge")
        expectFileError(.malformed, "absurd") { _ = try IDX.read(folder.file("huge")) }
    }
}
