/// The processes of a data-parallel run (ranks 0..<size) and the collectives training needs. Every
/// rank must make the same calls in the same order; rank 0 is the one that reads and writes files.
public protocol ProcessGroup: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// The elementwise sum of `values` over all ranks (the same count on each), on every rank.
    func allReduceSum(_ values: [Float]) throws -> [Float]
    /// Rank 0's `bytes` on every rank (what the other ranks pass is ignored; lengths may differ).
    func broadcast(_ bytes: [UInt8]) throws -> [UInt8]
}

extension ProcessGroup {
    /// Rank 0: the rank that does the I/O.
    public var isRoot: Bool { rank == 0 }

    /// The rows of every rank, concatenated in rank order: `values` holds this rank's rows of
    /// `rowLength` numbers. Built from one all-reduce of the row counts and one of a zero-padded
    /// buffer (adding zeros is exact, so the result is the plain concatenation).
    public func allGatherRows(_ values: [Float], rowLength: Int) throws -> [Float] {
        guard size > 1 else { return values }
        var counts = [Float](repeating: 0, count: size)
        counts[rank] = Float(values.count / max(rowLength, 1))
        let rows = try allReduceSum(counts).map { Int($0) }
        let start = rows[..<rank].reduce(0, +) * rowLength
        var padded = [Float](repeating: 0, count: rows.reduce(0, +) * rowLength)
        padded.replaceSubrange(start..<(start + values.count), with: values)
        return try allReduceSum(padded)
    }
}

/// A run of one process: the collectives return their input.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: [Float]) throws -> [Float] { values }
    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] { bytes }
}

/// Data-parallel failures, each with what happened and what to do.
public enum DistributedError: Error, CustomStringConvertible {
    case mpiUnavailable(String)
    case mpiCall(String, code: Int32)
    case timeout(operation: String, seconds: Double)
    case mismatchedRanks(String)
    case invalidLayout(String)

    public var description: String {
        switch self {
        case let .mpiUnavailable(message): message
        case let .mpiCall(call, code): "\(call) failed with MPI error \(code)"
        case let .timeout(operation, seconds):
            "\(operation) did not complete within \(Int(seconds)) s; another rank has died or hangs "
                + "(raise --mpi-timeout if steps or checkpoints are slower than that)"
        case let .mismatchedRanks(message), let .invalidLayout(message): message
        }
    }
}
