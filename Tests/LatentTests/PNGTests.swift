import Foundation
import Testing
@testable import Latent

@Suite struct PNGTests {
    @Test(arguments: [1, 3])
    func writeThenReadGivesTheSamePixels(channels: Int) throws {
        let folder = TempFolder()
        let (w, h) = (7, 5)
        let pixels = (0..<(w * h * channels)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let image = try PNGImage(width: w, height: h, channels: channels, pixels: pixels)
        try PNG.write(image, to: folder.file("p.png"))
        #expect(readBytes(folder.file("p.png")).prefix(8) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        let back = try PNG.read(folder.file("p.png"))
        #expect(back == image)
        #expect(folder.contents == ["p.png"])
    }

    @Test func floatConversionClipsAndRounds() throws {
        let image = try PNGImage(planar: [-2, -1, 0, 1, 2, 0.5, .nan, -0.999], channels: 1, height: 2, width: 4, range: -1...1)
        #expect(image.pixels == [0, 0, 128, 255, 255, 191, 0, 0])
        // Planar RGB → interleaved and back.
        let rgb = try PNGImage(planar: [0, 1, 0.5, 0.25, 1, 0], channels: 3, height: 1, width: 2, range: 0...1)
        #expect(rgb.pixels == [0, 128, 255, 255, 64, 0])
        #expect(rgb.planarPixels == [0, 255, 128, 64, 255, 0])
        #expect(throws: ComputeError.self) { try PNGImage(planar: [0], channels: 2, height: 1, width: 1, range: 0...1) }
        #expect(throws: ComputeError.self) { try PNGImage(planar: [0, 1], channels: 1, height: 1, width: 1, range: 0...1) }
    }

    @Test func readConvertsPaletteSixteenBitAndAlpha() throws {
        let palette = try PNG.read(fixture("palette.png"))
        let colours: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]]
        #expect(palette.channels == 3 && palette.width == 4 && palette.height == 3)
        for y in 0..<3 {
            for x in 0..<4 {
                let p = (y * 4 + x) * 3
                #expect(Array(palette.pixels[p..<(p + 3)]) == colours[(x + y) % 4])
            }
        }
        let gray16 = try PNG.read(fixture("gray16.png"))
        #expect(gray16.channels == 1)
        let gray16Expected: [UInt8] = (0..<12).map { (i: Int) -> UInt8 in UInt8(20 * i + 5) }
        #expect(gray16.pixels == gray16Expected)
        let grayAlpha = try PNG.read(fixture("gray_alpha.png"))
        #expect(grayAlpha.channels == 1)
        let grayAlphaExpected: [UInt8] = (0..<12).map { (i: Int) -> UInt8 in i % 4 == 0 ? 0 : UInt8(10 * i + 100) }
        #expect(grayAlpha.pixels == grayAlphaExpected)  // alpha 0 → black
        let onWhite = try PNG.read(fixture("gray_alpha.png"), background: (255, 255, 255))
        #expect(onWhite.pixels[0] == 255 && onWhite.pixels[1] == 110)
        let rgba = try PNG.read(fixture("rgba.png"))
        #expect(rgba.channels == 3)
        for y in 0..<3 {
            for x in 0..<4 {
                let p = (y * 4 + x) * 3
                var expected: [UInt8] = [0, 0, 0]
                if y != 1 { expected = [UInt8(x * 60), UInt8(y * 100), 200] }
                #expect(Array(rgba.pixels[p..<(p + 3)]) == expected)
            }
        }
        // Forcing channels: gray → RGB replicates, RGB gray values → gray keeps them.
        let gray16AsRGB = try PNG.read(fixture("gray16.png"), channels: 3)
        #expect(gray16AsRGB.pixels.prefix(6) == [5, 5, 5, 25, 25, 25])
        let folder = TempFolder()
        try PNG.write(try PNGImage(width: 2, height: 1, channels: 3, pixels: [40, 40, 40, 200, 200, 200]), to: folder.file("g.png"))
        #expect(try PNG.read(folder.file("g.png"), channels: 1).pixels == [40, 200])
    }

    @Test func corruptOrMissingPNGIsAnError() throws {
        let folder = TempFolder()
        folder.write(Array("not a png at all".utf8), to: "text.png")
        expectFileError(.malformed, folder.file("text.png"), "not a readable PNG") { _ = try PNG.read(folder.file("text.png")) }
        let good = readBytes(fixture("rgba.png"))
        folder.write(Array(good.prefix(good.count - 30)), to: "cut.png")
        expectFileError(.malformed, folder.file("cut.png")) { _ = try PNG.read(folder.file("cut.png")) }
        var flipped = good
        flipped[good.count - 20] ^= 0xff  // inside the IDAT data: CRC mismatch
        folder.write(flipped, to: "crc.png")
        expectFileError(.malformed, folder.file("crc.png")) { _ = try PNG.read(folder.file("crc.png")) }
        expectFileError(.notFound, "no such file") { _ = try PNG.read(folder.file("none.png")) }
        expectFileError(.io, "cannot create a temporary file") {
            try PNG.write(try PNGImage(width: 1, height: 1, channels: 1, pixels: [0]), to: folder.file("no/dir.png"))
        }
    }

    @Test func gridGeometry() throws {
        // 5 images of 1×3×2 with value i+1 everywhere; padding 1 of value -1; 3 columns × 2 rows.
        var images = [Float]()
        for i in 0..<5 { images += [Float](repeating: Float(i + 1), count: 6) }
        let grid = ImageGrid(padding: 1, paddingValue: -1)
        #expect(grid.layout(count: 5) == (3, 2))
        let (values, shape) = try grid.tile(images, shape: [5, 1, 3, 2])
        #expect(shape == [1, 9, 10])  // 2·3 + 3 rows, 3·2 + 4 columns
        func at(_ y: Int, _ x: Int) -> Float { values[y * 10 + x] }
        #expect(at(0, 0) == -1 && at(1, 0) == -1 && at(0, 1) == -1)
        #expect(at(1, 1) == 1 && at(3, 2) == 1 && at(1, 3) == -1)  // image 0 at rows 1-3, columns 1-2
        #expect(at(1, 4) == 2 && at(1, 7) == 3 && at(5, 1) == 4 && at(7, 5) == 5)
        #expect(at(5, 7) == -1 && at(7, 8) == -1)  // the empty sixth cell
        #expect(values.filter { $0 == 3 }.count == 6)
        let wide = ImageGrid(columns: 8, padding: 0)
        #expect(wide.layout(count: 5) == (5, 1))
        #expect(try wide.tile(images, shape: [5, 1, 3, 2]).shape == [1, 3, 10])
        #expect(throws: ComputeError.self) { try grid.tile(images, shape: [4, 1, 3, 2]) }
    }

    @Test func gridPNGOfRGBSamples() throws {
        let folder = TempFolder()
        let images: [Float] = (0..<48).map { (i: Int) -> Float in Float(i % 3) - 1 }  // -1, 0, 1 pattern
        try ImageGrid(columns: 2, padding: 2, paddingValue: 1).writePNG(images, shape: [4, 3, 2, 2], range: -1...1, to: folder.file("grid.png"))
        let back = try PNG.read(folder.file("grid.png"))
        #expect(back.channels == 3)
        #expect(back.width == 10 && back.height == 10)
        #expect(back.pixels.prefix(3) == [255, 255, 255])  // padding value 1 → white
    }
}

@Suite struct ImageFolderTests {
    private func writePNG(_ path: String, width: Int = 3, height: Int = 2, channels: Int = 1, value: UInt8) throws {
        try PNG.write(
            try PNGImage(
                width: width, height: height, channels: channels,
                pixels: [UInt8](repeating: value, count: width * height * channels)), to: path)
    }

    @Test func classSubfoldersGiveLabels() throws {
        let folder = TempFolder()
        for (name, values) in [("cats", [10, 11]), ("dogs", [20, 21, 22])] {
            try FileManager.default.createDirectory(atPath: folder.file(name), withIntermediateDirectories: true)
            for (i, v) in values.enumerated() { try writePNG(folder.file("\(name)/\(i).png"), value: UInt8(v)) }
        }
        folder.write([1, 2, 3], to: "cats/notes.txt")
        let data = try ImageFolder.load(folder.path)
        #expect(data.count == 5 && data.channels == 1 && data.height == 2 && data.width == 3)
        #expect(data.labels == [0, 0, 1, 1, 1])
        #expect(data.classNames == ["cats", "dogs"])
        let firstPixels: [UInt8] = (0..<5).map { (i: Int) -> UInt8 in data.image(i).first! }
        #expect(firstPixels == [10, 11, 20, 21, 22])
    }

    @Test func flatFolderAutoColourAndForcedChannels() throws {
        let folder = TempFolder()
        try writePNG(folder.file("a.png"), value: 50)
        let colourPixels: [UInt8] = (0..<18).map { (i: Int) -> UInt8 in UInt8(i % 3 * 100) }
        try PNG.write(try PNGImage(width: 3, height: 2, channels: 3, pixels: colourPixels), to: folder.file("b.png"))
        let data = try ImageFolder.load(folder.path)
        #expect(data.channels == 3 && data.labels == [0, 0] && data.classNames.isEmpty)
        #expect(Array(data.image(0)) == [UInt8](repeating: 50, count: 18))
        var planar = [UInt8](repeating: 0, count: 6)
        planar += [UInt8](repeating: 100, count: 6)
        planar += [UInt8](repeating: 200, count: 6)
        #expect(Array(data.image(1)) == planar)
        #expect(try ImageFolder.load(folder.path, channels: 1).channels == 1)
    }

    @Test func sizeMismatchAndEmptyFolderAreErrors() throws {
        let folder = TempFolder()
        expectFileError(.notFound, "no .png images") { _ = try ImageFolder.load(folder.path) }
        try writePNG(folder.file("a.png"), value: 1)
        try writePNG(folder.file("b.png"), width: 4, value: 1)
        expectFileError(.mismatch, folder.file("b.png"), "is 4x2 but", "all images must have the same size") { _ = try ImageFolder.load(folder.path) }
        expectFileError(.notFound, "no such folder") { _ = try ImageFolder.load(folder.file("absent")) }
        folder.write(Array("junk".utf8), to: "c.png")
        try FileManager.default.removeItem(atPath: folder.file("b.png"))
        expectFileError(.malformed, folder.file("c.png")) { _ = try ImageFolder.load(folder.path) }
    }

    @Test func loaderRunsOnAnImageFolder() throws {
        let folder = TempFolder()
        for i in 0..<6 { try writePNG(folder.file("\(i).png"), value: UInt8(i * 51)) }
        let loader = try BatchLoader(dataset: try ImageFolder.load(folder.path), batchSize: 4, seed: 5, scaling: .minusOneToOne)
        let batches = Array(loader.batches(toEpoch: 1))
        #expect(batches.map(\.shape) == [[4, 1, 2, 3], [2, 1, 2, 3]])
        var firstValues = Set<Float>()
        for b in batches {
            for k in stride(from: 0, to: b.images.count, by: 6) { firstValues.insert(b.images[k]) }
        }
        let expectedValues: Set<Float> = Set((0..<6).map { (i: Int) -> Float in Float(i * 51) / 255 * 2 - 1 })
        #expect(firstValues == expectedValues)
    }
}
