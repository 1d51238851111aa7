/// What a backend provides besides kernels: buffers, transfers, synchronisation and memory
/// accounting. A backend is one short runtime (this protocol) plus its kernels.
public protocol DeviceRuntime: AnyObject, Sendable {
    /// Which implementation runs this device's kernels.
    var backend: Backend { get }
    /// Human-readable device name, e.g. "cpu (2 threads)" or "pthread-haswell-AMD EPYC".
    var name: String { get }

    // MARK: memory
    func makeBuffer(byteCount: Int) throws -> any DeviceBuffer
    func write(_ source: UnsafeRawBufferPointer, to buffer: any DeviceBuffer, byteOffset: Int) throws
    func read(_ buffer: any DeviceBuffer, byteOffset: Int, into destination: UnsafeMutableRawBufferPointer) throws
    /// Waits until all queued work has finished.
    func synchronize() throws
    /// Bytes held by this device's live buffers and their high-water mark (for `latent bench`).
    /// The CPU backend counts every CPU buffer of the process; OpenCL counts pool capacities.
    var memoryUsage: MemoryUsage { get }
    /// Starts a new high-water mark at the bytes live now.
    func resetPeakMemory()
    /// Kernel launches, transfers and blocking waits since the device was created. The CPU backend
    /// runs its kernels synchronously and counts only transfers.
    var activity: DeviceActivity { get }
    /// Bytes a composed kernel may take for one scratch buffer (the convolution's column matrix):
    /// a GPU's memory lets a whole batch run as one product instead of chunks.
    var scratchBudgetBytes: Int { get }
    /// A buffer aliasing `byteCount` bytes of `buffer` from `byteOffset`, for kernels that read or
    /// write part of a buffer in place (the composed convolution's chunks); it keeps `buffer` alive.
    /// nil when the backend has no views or `byteOffset` is not a multiple of `viewAlignmentBytes`.
    func view(of buffer: any DeviceBuffer, byteOffset: Int, byteCount: Int) throws -> (any DeviceBuffer)?
    /// The multiple of bytes a view's offset must be (OpenCL: the device's base address alignment);
    /// nil when the backend has no views.
    var viewAlignmentBytes: Int? { get }
}

extension DeviceRuntime {
    /// 16 MiB unless the backend knows its memory.
    public var scratchBudgetBytes: Int { 16 << 20 }

    /// No views unless the backend has them: composed kernels then copy through staging buffers.
    public func view(of buffer: any DeviceBuffer, byteOffset: Int, byteCount: Int) throws -> (any DeviceBuffer)? { nil }
    public var viewAlignmentBytes: Int? { nil }
}
