import CPNG
import Foundation
import LatentCompute

/// A private temporary folder for inputs that the parsers read from files, and the CPU device the
/// model targets build on. One per process; removed at exit by the fuzz driver's caller (or the OS).
public final class FuzzScratch: @unchecked Sendable {
    /// The process's scratch folder. `@unchecked Sendable`: fuzz inputs run one at a time.
    public static let shared = FuzzScratch()

    let root: String
    /// One worker thread: fuzz runs are many tiny models, and a single thread keeps them deterministic.
    let device: any Device = CPUDevice(threads: 1)

    private init() {
        root = NSTemporaryDirectory() + "latent-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: root + "/images", withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { root + "/" + name }

    /// Writes `bytes` to the named file in the scratch folder (replacing it) and returns its path.
    func write(_ bytes: [UInt8], as name: String) throws -> String {
        let target = path(name)
        guard FileManager.default.createFile(atPath: target, contents: Data(bytes)) else {
            throw FuzzScratchError("cannot write \(target)")
        }
        return target
    }

    /// Writes `bytes` gzip-compressed (zlib level 1: speed matters more than size here).
    func writeGzipped(_ bytes: [UInt8], as name: String) throws -> String {
        let target = path(name)
        guard let file = gzopen(target, "wb1") else { throw FuzzScratchError("cannot create \(target)") }
        let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        let closed = gzclose(file)
        guard written == bytes.count, closed == Z_OK else { throw FuzzScratchError("cannot gzip into \(target)") }
        return target
    }

    /// Removes the scratch folder.
    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

struct FuzzScratchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
