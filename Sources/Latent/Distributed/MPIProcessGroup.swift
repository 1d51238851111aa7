import CMPI
import Foundation

/// The ranks of an `mpirun` launch (MPI_COMM_WORLD), through Open MPI opened at run time.
///
/// Every collective is nonblocking (MPI_Iallreduce, MPI_Ibcast) and polled with MPI_Test until
/// `timeout` seconds have passed, so a rank that died or hangs makes the others stop with
/// `DistributedError.timeout` instead of waiting forever.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may wait for the other ranks.
    public var timeout: Double
    private let mpi: MPILibrary

    /// Environment variables launchers set in the processes they start: Open MPI's mpirun, then
    /// PMI (MPICH's Hydra, Slurm) and PMIx (Slurm, PRRTE).
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]

    /// Whether this process was started by an MPI launcher (so it should join the others).
    public static func launchedByMPI(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    /// Initialises MPI (once per process) and reads this process's rank and the world size.
    public init(timeout: Double) throws {
        guard timeout > 0 else { throw DistributedError.invalidLayout("--mpi-timeout must be positive, not \(timeout)") }
        mpi = try MPILibrary.load()
        self.timeout = timeout
        var flag: Int32 = 0
        _ = mpi.initialized(&flag)
        if flag == 0 {
            let code = mpi.initialize(nil, nil)
            guard code == 0 else { throw DistributedError.mpiCall("MPI_Init", code: code) }
        }
        var rank: Int32 = 0, size: Int32 = 0
        _ = mpi.commRank(mpi.commWorld, &rank)
        _ = mpi.commSize(mpi.commWorld, &size)
        (self.rank, self.size) = (Int(rank), Int(size))
    }

    /// Ends MPI cleanly; call once, after the last collective, on every rank.
    public func finalize() { _ = mpi.finalize() }

    /// Stops every rank of the job (after an error on this one), as MPI_Abort does.
    public func abort(code: Int32) -> Never {
        _ = mpi.abort(mpi.commWorld, code)
        exit(code)
    }

    public func allReduceSum(_ values: [Float]) throws -> [Float] {
        guard size > 1, !values.isEmpty else { return values }
        var result = [Float](repeating: 0, count: values.count)
        try values.withUnsafeBufferPointer { send in
            try result.withUnsafeMutableBufferPointer { receive in
                var request: LatentMPIHandle? = nil
                let code = mpi.iallreduce(
                    send.baseAddress, receive.baseAddress, Int32(values.count), mpi.float, mpi.sum,
                    mpi.commWorld, &request)
                guard code == 0 else { throw DistributedError.mpiCall("MPI_Iallreduce", code: code) }
                try wait(&request, "an all-reduce of \(values.count) numbers")
            }
        }
        return result
    }

    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        var length = [UInt64(bytes.count)]
        try length.withUnsafeMutableBytes { try broadcastInPlace($0, "a broadcast of rank 0's data size") }
        var data = rank == 0 ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        try data.withUnsafeMutableBytes { try broadcastInPlace($0, "a broadcast of \(length[0]) bytes from rank 0") }
        return data
    }

    private func broadcastInPlace(_ buffer: UnsafeMutableRawBufferPointer, _ what: String) throws {
        guard buffer.count > 0 else { return }
        guard buffer.count <= Int(Int32.max) else { throw DistributedError.invalidLayout("\(what): over 2 GiB") }
        var request: LatentMPIHandle? = nil
        let code = mpi.ibcast(buffer.baseAddress, Int32(buffer.count), mpi.byte, 0, mpi.commWorld, &request)
        guard code == 0 else { throw DistributedError.mpiCall("MPI_Ibcast", code: code) }
        try wait(&request, what)
    }

    /// Polls a request until it completes or the timeout passes: tight at first (an all-reduce of a
    /// step takes milliseconds), then sleeping up to 1 ms between polls so a waiting rank does not
    /// take a core from a busy one on a shared machine.
    private func wait(_ request: inout LatentMPIHandle?, _ what: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var polls = 0
        while true {
            var done: Int32 = 0
            let code = mpi.test(&request, &done, nil)
            guard code == 0 else { throw DistributedError.mpiCall("MPI_Test", code: code) }
            if done != 0 { return }
            polls += 1
            if polls > 200 {
                if polls % 256 == 0, Date() > deadline {
                    throw DistributedError.timeout(operation: what, seconds: timeout)
                }
                usleep(UInt32(min(1000, (polls - 200) * 10)))
            }
        }
    }
}
