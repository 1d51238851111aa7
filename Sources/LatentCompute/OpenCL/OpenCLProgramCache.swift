import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// On-disk cache of compiled OpenCL program binaries, so that later processes skip the compiler.
/// Directory: $LATENT_CACHE_DIR, else $XDG_CACHE_HOME/latent/opencl, else ~/.cache/latent/opencl.
/// Every failure (unwritable directory, corrupt file) only means a cache miss.
struct OpenCLProgramDiskCache: Sendable {
    let directory: String

    /// The default location, or nil when no home or cache directory is known.
    static let standard: OpenCLProgramDiskCache? = {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["LATENT_CACHE_DIR"], !dir.isEmpty { return OpenCLProgramDiskCache(directory: dir) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return OpenCLProgramDiskCache(directory: xdg + "/latent/opencl") }
        if let home = environment["HOME"], !home.isEmpty { return OpenCLProgramDiskCache(directory: home + "/.cache/latent/opencl") }
        return nil
    }()

    /// A 128-bit hex key (two FNV-1a 64 hashes with different seeds) of everything that shapes a binary.
    static func key(source: String, options: String, deviceName: String, driverVersion: String) -> String {
        // Bump the format tag to invalidate every cached binary.
        let text = ["latent-cl-1", source, options, deviceName, driverVersion].joined(separator: "\u{0}")
        func fnv1a(_ basis: UInt64) -> UInt64 {
            var hash = basis
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            return hash
        }
        let hex = { (value: UInt64) in String(repeating: "0", count: 16 - String(value, radix: 16).count) + String(value, radix: 16) }
        return hex(fnv1a(0xcbf2_9ce4_8422_2325)) + hex(fnv1a(0x84222325_cbf29ce4))
    }

    func path(forKey key: String) -> String { directory + "/" + key + ".bin" }

    func load(key: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path(forKey: key)), !data.isEmpty else { return nil }
        return [UInt8](data)
    }

    /// Writes atomically (temporary file, then rename) so concurrent processes never see a partial file.
    /// Returns false when the cache could not be written.
    @discardableResult
    func store(key: String, bytes: [UInt8]) -> Bool {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return false
        }
        let temporary = directory + "/.\(key).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return false }
        if rename(temporary, path(forKey: key)) != 0 {
            unlink(temporary)
            return false
        }
        return true
    }
}
