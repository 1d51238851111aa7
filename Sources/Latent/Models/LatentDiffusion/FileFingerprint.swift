import Foundation

/// A 64-bit FNV-1a hash of a file's bytes as 16 hex digits: enough to tell whether the autoencoder
/// an LDM or a latent cache was made from is the file at hand (not a cryptographic hash).
public enum FileFingerprint {
    public static func of(bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func of(file path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(.io, path: path, "cannot read the file to fingerprint it")
        }
        return of(bytes: [UInt8](data))
    }
}
