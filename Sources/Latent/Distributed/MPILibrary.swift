import CMPI
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The MPI entry points and predefined handles data-parallel training uses, resolved with dlsym from
/// the Open MPI library opened at run time (the binary never links libmpi).
struct MPILibrary: @unchecked Sendable {
    let initialized: LatentMPIInitialized
    let initialize: LatentMPIInit
    let finalize: LatentMPIFinalize
    let commRank: LatentMPICommRank
    let commSize: LatentMPICommSize
    let iallreduce: LatentMPIIallreduce
    let ibcast: LatentMPIIbcast
    let test: LatentMPITest
    let abort: LatentMPIAbort
    /// MPI_COMM_WORLD, MPI_FLOAT, MPI_BYTE and MPI_SUM: in Open MPI the addresses of global objects.
    let commWorld: LatentMPIHandle
    let float: LatentMPIHandle
    let byte: LatentMPIHandle
    let sum: LatentMPIHandle

    /// Library names tried in order: Open MPI's soname (3.x to 5.x), then the development symlink.
    static let libraryNames = ["libmpi.so.40", "libmpi.so"]

    /// Opens libmpi and resolves everything, or says what is missing.
    static func load(libraries: [String] = libraryNames) throws(DistributedError) -> MPILibrary {
        // RTLD_GLOBAL: Open MPI's own plugins (opened by MPI_Init) resolve libmpi's symbols globally.
        guard let handle = libraries.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_GLOBAL) }).first else {
            throw .mpiUnavailable("no MPI library (libmpi.so.40) found; install Debian's openmpi-bin (libopenmpi3)")
        }
        return try MPILibrary(handle: handle)
    }

    private init(handle: UnsafeMutableRawPointer) throws(DistributedError) {
        func address(_ name: String) throws(DistributedError) -> UnsafeMutableRawPointer {
            guard let pointer = dlsym(handle, name) else {
                throw .mpiUnavailable(
                    "the MPI library lacks \(name); Latent supports Open MPI (libmpi.so.40), "
                        + "see the README's MPI section for MPICH")
            }
            return pointer
        }
        func function<F>(_ name: String) throws(DistributedError) -> F { unsafeBitCast(try address(name), to: F.self) }
        initialized = try function("MPI_Initialized")
        initialize = try function("MPI_Init")
        finalize = try function("MPI_Finalize")
        commRank = try function("MPI_Comm_rank")
        commSize = try function("MPI_Comm_size")
        iallreduce = try function("MPI_Iallreduce")
        ibcast = try function("MPI_Ibcast")
        test = try function("MPI_Test")
        abort = try function("MPI_Abort")
        commWorld = try address("ompi_mpi_comm_world")
        float = try address("ompi_mpi_float")
        byte = try address("ompi_mpi_byte")
        sum = try address("ompi_mpi_op_sum")
    }
}
