import CPNG

/// An 8-bit image in host memory: gray (1 channel) or RGB (3 channels), rows top to bottom,
/// channels interleaved (H×W×C), as PNG stores it.
public struct PNGImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard channels == 1 || channels == 3 else {
            throw ComputeError.invalidArgument("PNG images have 1 (gray) or 3 (RGB) channels, not \(channels)")
        }
        guard width > 0, height > 0, pixels.count == width * height * channels else {
            throw ComputeError.shapeMismatch("\(pixels.count) bytes for a \(width)x\(height) image with \(channels) channels")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Converts channel-planar floats (C×H×W, C = 1 or 3) to 8 bits: `range` maps to 0…255, values
    /// outside it are clipped, NaN becomes 0, rounding is to nearest.
    public init(planar values: [Float], channels: Int, height: Int, width: Int, range: ClosedRange<Float>) throws {
        guard values.count == channels * height * width else {
            throw ComputeError.shapeMismatch("\(values.count) values for \(channels)x\(height)x\(width)")
        }
        guard range.upperBound > range.lowerBound else {
            throw ComputeError.invalidArgument("empty value range \(range)")
        }
        let scale = 255 / (range.upperBound - range.lowerBound)
        let plane = height * width
        var bytes = [UInt8](repeating: 0, count: values.count)
        for c in 0..<channels {
            for p in 0..<plane {
                let v = (values[c * plane + p] - range.lowerBound) * scale
                bytes[p * channels + c] = v.isNaN ? 0 : UInt8(min(max(v, 0), 255).rounded())
            }
        }
        try self.init(width: width, height: height, channels: channels, pixels: bytes)
    }

    /// The pixels channel-planar (C×H×W), as datasets and models use them.
    public var planarPixels: [UInt8] {
        if channels == 1 { return pixels }
        let plane = width * height
        var out = [UInt8](repeating: 0, count: pixels.count)
        for p in 0..<plane {
            for c in 0..<channels { out[c * plane + p] = pixels[p * channels + c] }
        }
        return out
    }
}

/// PNG reading and writing through libpng's simplified API, which reports errors in
/// `png_image.message` instead of `longjmp`, so every failure becomes a Swift `FileError` naming
/// the file. Reading converts palette, 16-bit, gray+alpha and RGBA images to 8-bit gray or RGB
/// (alpha composited onto a background, black by default; 16-bit samples are taken as
/// sRGB-encoded, i.e. scaled, not gamma-converted).
public enum PNG {
    /// Reads a PNG. `channels`: 1 or 3 to convert, nil to keep the file's kind (gray stays gray,
    /// anything in colour becomes RGB).
    public static func read(_ path: String, channels: Int? = nil, background: (UInt8, UInt8, UInt8) = (0, 0, 0)) throws -> PNGImage {
        guard fileExists(path) else { throw FileError(.notFound, path: path, "no such file") }
        if let channels, channels != 1 && channels != 3 {
            throw ComputeError.invalidArgument("PNG channels must be 1 or 3, not \(channels)")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let message = messageText(&image)
            png_image_free(&image)
            throw FileError(.malformed, path: path, "not a readable PNG: \(message)")
        }
        let isColor = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let outChannels = channels ?? (isColor ? 3 : 1)
        image.format = outChannels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= 1 << 28 else {
            png_image_free(&image)
            throw FileError(.malformed, path: path, "PNG size \(width)x\(height) is absurd")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * outChannels)
        var color = png_color(red: background.0, green: background.1, blue: background.2)
        let ok = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, &color, $0.baseAddress, Int32(width * outChannels), nil)
        }
        guard ok != 0 else {
            let message = messageText(&image)
            png_image_free(&image)
            throw FileError(.malformed, path: path, "corrupt PNG data: \(message)")
        }
        return try PNGImage(width: width, height: height, channels: outChannels, pixels: pixels)
    }

    /// The PNG file content for `image` (8-bit gray or RGB, default compression).
    public static func encode(_ image: PNGImage, path: String = "<memory>") throws -> [UInt8] {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = image.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let stride = Int32(image.width * image.channels)
        var size = 0
        // First call: size only. Second: the bytes.
        let sized = image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard sized != 0 else {
            let message = messageText(&png)
            png_image_free(&png)
            throw FileError(.io, path: path, "PNG encoding failed: \(message)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let written = bytes.withUnsafeMutableBytes { out in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, out.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard written != 0 else {
            let message = messageText(&png)
            png_image_free(&png)
            throw FileError(.io, path: path, "PNG encoding failed: \(message)")
        }
        return Array(bytes[0..<size])
    }

    /// Writes `image` to `path` atomically (see `AtomicFile`).
    public static func write(_ image: PNGImage, to path: String) throws {
        try AtomicFile.write(encode(image, path: path), to: path)
    }

    private static func messageText(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let chars = raw.prefix(while: { $0 != 0 })
            return String(decoding: chars, as: UTF8.self)
        }
    }
}
