import Foundation

/// What must be identical on every rank of a data-parallel run, as 64-bit FNV-1a hashes: the
/// program, the run's configuration and the training data. Compared at start, so ranks launched with
/// different binaries, flags or data files stop with a clear error instead of training apart.
public struct RunFingerprint: Sendable, Equatable {
    public var binary: UInt64
    public var configuration: UInt64
    public var data: UInt64

    public init(binary: UInt64, configuration: UInt64, data: UInt64) {
        (self.binary, self.configuration, self.data) = (binary, configuration, data)
    }

    /// The fingerprint of this process's executable, a configuration text and a dataset.
    public init(configuration: String, dataset: ImageDataset) {
        self.init(
            binary: Self.executableHash(), configuration: Self.hash(Array(configuration.utf8)),
            data: Self.hash(dataset.pixels, seed: Self.hash(dataset.labels.map { UInt8(truncatingIfNeeded: $0) })))
    }

    /// 64-bit FNV-1a of `bytes`, continuing from `seed`.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer in
            var h = seed
            for byte in buffer { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            return h
        }
    }

    /// The hash of the running program's file (0 where it cannot be read).
    public static func executableHash() -> UInt64 {
        let path = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return hash([UInt8](data))
    }

    /// Throws on every rank when any rank's fingerprint differs from rank 0's, naming what differs.
    public func verifySame(across group: any ProcessGroup) throws {
        guard group.size > 1 else { return }
        let mine = [binary, configuration, data]
        let rootBytes = try group.broadcast(mine.withUnsafeBytes { Array($0) })
        let root = rootBytes.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
        let differs = zip(mine, root).map { $0 != $1 ? Float(1) : 0 }
        let counts = try group.allReduceSum(differs)
        let parts = zip(["the latent binary", "the model or training options", "the training data"], counts)
            .filter { $0.1 > 0 }.map { "\($0.0) differs on \(Int($0.1)) rank(s)" }
        guard parts.isEmpty else {
            let local = differs.contains(1) ? " (rank \(group.rank) differs from rank 0)" : ""
            throw DistributedError.mismatchedRanks(
                "the ranks disagree: \(parts.joined(separator: ", "))\(local); "
                    + "launch the same latent binary with the same arguments and data on every rank")
        }
    }
}
