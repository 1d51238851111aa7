import CPNG

/// An n-dimensional unsigned-byte array from an IDX file (the MNIST file format).
public struct IDXArray: Sendable, Equatable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    public init(dimensions: [Int], bytes: [UInt8]) {
        precondition(dimensions.reduce(1, *) == bytes.count, "IDX dimensions \(dimensions) for \(bytes.count) bytes")
        self.dimensions = dimensions
        self.bytes = bytes
    }
}

/// Reads and writes IDX files: a 4-byte magic (0, 0, type code, rank), `rank` big-endian 32-bit
/// dimensions, then the elements. Only the unsigned-byte type (0x08) is supported, which is what
/// MNIST, Fashion-MNIST and KMNIST use: 0x00000803 = images N×H×W, 0x00000801 = labels N.
///
/// Files are read through zlib's `gzopen`/`gzread`, which read gzip-compressed and plain files
/// alike. Every problem is a `FileError` naming the file: missing, bad magic, wrong rank, short
/// header, truncated data (with the counts the header promised), corrupt gzip data, trailing bytes.
public enum IDX {
    /// Dimensions beyond this many elements are taken as a corrupt header (4 GiB).
    static let maximumElements = 1 << 32

    /// Reads an IDX file of unsigned bytes. `expectedRank` (if given) must match the header's.
    /// `hint` is added to a "no such file" message.
    public static func read(_ path: String, expectedRank: Int? = nil, hint: String? = nil) throws -> IDXArray {
        if !fileExists(path) {
            throw FileError(.notFound, path: path, "no such file" + (hint.map { "; \($0)" } ?? ""))
        }
        guard let file = gzopen(path, "rb") else {
            throw FileError(.io, path: path, "cannot open: \(lastErrorString())")
        }
        defer { gzclose(file) }
        var reader = GzipReader(file: file, path: path)

        let magic = try reader.read(4)
        guard magic.count == 4 else {
            throw FileError(.truncated, path: path, "file has \(magic.count) bytes, fewer than the 4-byte IDX magic")
        }
        let magicValue = magic.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let hex = "0x" + String(magicValue, radix: 16, uppercase: true).leftPadded(to: 8)
        guard magic[0] == 0, magic[1] == 0, magic[3] > 0 else {
            throw FileError(.malformed, path: path, "bad magic \(hex): not an IDX file")
        }
        guard magic[2] == 0x08 else {
            throw FileError(
                .unsupported, path: path,
                "magic \(hex): element type 0x\(String(magic[2], radix: 16)) is not supported, only unsigned bytes (0x08)")
        }
        let rank = Int(magic[3])
        if let expectedRank, rank != expectedRank {
            let expectedMagic = "0x000008" + String(expectedRank, radix: 16).leftPadded(to: 2)
            throw FileError(
                .malformed, path: path,
                "magic \(hex) announces \(rank) dimensions, expected \(expectedRank) (magic \(expectedMagic))")
        }
        let header = try reader.read(4 * rank)
        guard header.count == 4 * rank else {
            throw FileError(.truncated, path: path, "header needs \(4 * rank) bytes of dimensions, file has \(header.count)")
        }
        var dimensions = [Int]()
        var total = 1
        var overflow = false
        for i in 0..<rank {
            let d = header[(4 * i)..<(4 * i + 4)].reduce(0) { $0 << 8 | Int($1) }
            dimensions.append(d)
            // Once the running product overflows it stays absurd: a later 0 must not bring it back
            // to 0 (found by fuzzing: IDXArray's own product then trapped).
            let (product, overflowed) = total.multipliedReportingOverflow(by: d)
            overflow = overflow || overflowed
            total = overflow ? Int.max : product
        }
        guard total <= maximumElements else {
            throw FileError(.malformed, path: path, "header dimensions \(dimensions) are absurd (\(total) bytes)")
        }
        let data = try reader.read(total)
        guard data.count == total else {
            throw FileError(
                .truncated, path: path, "header says \(describe(dimensions)), file has \(data.count) bytes of \(rank == 3 ? "pixels" : "data")")
        }
        let extra = try reader.read(1)
        guard extra.isEmpty else {
            throw FileError(.malformed, path: path, "file has more data than its header (\(describe(dimensions))) announces")
        }
        return IDXArray(dimensions: dimensions, bytes: data)
    }

    /// Writes an unsigned-byte IDX file, gzip-compressed when `gzip` is true. Not atomic (a tool
    /// and test helper: it writes the named file directly).
    public static func write(_ array: IDXArray, to path: String, gzip: Bool) throws {
        guard let file = gzopen(path, gzip ? "wb6" : "wbT") else {
            throw FileError(.io, path: path, "cannot create: \(lastErrorString())")
        }
        var content: [UInt8] = [0, 0, 0x08, UInt8(array.dimensions.count)]
        for d in array.dimensions {
            content += [
                UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16),
                UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d),
            ]
        }
        content += array.bytes
        var offset = 0
        while offset < content.count {
            let n = min(content.count - offset, 1 << 30)
            let written = content[offset...].withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32(n)) }
            guard written > 0 else {
                gzclose(file)
                throw FileError(.io, path: path, "write failed: \(lastErrorString())")
            }
            offset += Int(written)
        }
        guard gzclose(file) == Z_OK else { throw FileError(.io, path: path, "cannot finish the file: \(lastErrorString())") }
    }

    private static func describe(_ dimensions: [Int]) -> String {
        switch dimensions.count {
        case 1: "\(dimensions[0]) labels"
        case 3: "\(dimensions[0]) images of \(dimensions[1])x\(dimensions[2])"
        default: "dimensions \(dimensions)"
        }
    }
}

/// Reads exact byte counts through zlib, turning zlib's failures into `FileError`s.
private struct GzipReader {
    let file: gzFile
    let path: String

    /// Up to `count` bytes; fewer only at the end of the data (a truncated gzip stream counts as
    /// the end: the caller reports the shortfall). Corrupt compressed data throws.
    mutating func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(min(count, 1 << 26))
        var chunk = [UInt8](repeating: 0, count: min(max(count, 1), 1 << 22))
        while out.count < count {
            let want = min(count - out.count, chunk.count)
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(want)) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
                if code == Z_BUF_ERROR { break }  // "unexpected end of file": a truncated .gz
                if code == Z_ERRNO { throw FileError(.io, path: path, "read failed: \(lastErrorString())") }
                throw FileError(.malformed, path: path, "corrupt gzip data: \(message)")
            }
            if n == 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
                if code != Z_OK && code != Z_BUF_ERROR {
                    throw FileError(.malformed, path: path, "corrupt gzip data: \(message)")
                }
                break
            }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        return out
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
