import COpenCL

/// Device memory of an OpenCL device. Freeing it (deinit) returns its cl_mem to the device's pool;
/// a view (a sub-buffer of another buffer) releases only its own cl_mem.
public final class OpenCLBuffer: DeviceBuffer, @unchecked Sendable {
    public let byteCount: Int
    /// The cl_mem's real size: `byteCount` rounded up to the pool's size class (a view's: `byteCount`).
    public let capacity: Int
    let mem: CLObject
    let pool: OpenCLBufferPool
    /// The buffer a view aliases (kept alive by the view); nil for a pooled buffer.
    let parent: OpenCLBuffer?
    /// A view's byte offset in `parent`.
    let viewOrigin: Int

    init(
        byteCount: Int, capacity: Int, mem: CLObject, pool: OpenCLBufferPool, parent: OpenCLBuffer? = nil,
        viewOrigin: Int = 0
    ) {
        self.byteCount = byteCount
        self.capacity = capacity
        self.mem = mem
        self.pool = pool
        self.parent = parent
        self.viewOrigin = viewOrigin
    }

    deinit {
        if parent == nil { pool.recycle(mem, capacity: capacity) }
    }
}

/// Reuses cl_mem objects by size class so that the many short-lived tensors of a model step do not
/// each cost a driver allocation. Counts live and pooled bytes and the peak of live bytes; thread-safe.
final class OpenCLBufferPool: @unchecked Sendable {
    struct State {
        var free: [Int: [CLObject]] = [:]
        var liveBytes = 0 {
            didSet { peakLiveBytes = max(peakLiveBytes, liveBytes) }
        }
        var pooledBytes = 0
        var peakLiveBytes = 0
    }

    let api: OpenCLAPI
    let context: CLObject
    let deviceName: String
    let maxAllocationBytes: Int
    /// Freed buffers beyond this total are released instead of kept.
    let maxPooledBytes: Int
    private let state = Locked(State())

    init(api: OpenCLAPI, context: CLObject, deviceName: String, maxAllocationBytes: Int, maxPooledBytes: Int) {
        self.api = api
        self.context = context
        self.deviceName = deviceName
        self.maxAllocationBytes = maxAllocationBytes
        self.maxPooledBytes = maxPooledBytes
    }

    var liveBytes: Int { state.withLock { $0.liveBytes } }
    var pooledBytes: Int { state.withLock { $0.pooledBytes } }
    var usage: MemoryUsage { state.withLock { MemoryUsage(liveBytes: $0.liveBytes, peakBytes: $0.peakLiveBytes) } }
    func resetPeak() { state.withLock { $0.peakLiveBytes = $0.liveBytes } }

    /// The capacity a request of `bytes` gets: 256-byte minimum, then steps of 1/8 of the power of two
    /// below it (at most 12.5 % wasted).
    static func sizeClass(_ bytes: Int) -> Int {
        if bytes <= 256 { return 256 }
        let top = Int.bitWidth - 1 - (bytes - 1).leadingZeroBitCount  // floor(log2(bytes - 1))
        let step = max(1, 1 << max(0, top - 3))
        return (bytes + step - 1) / step * step
    }

    func allocate(byteCount: Int) throws(ComputeError) -> OpenCLBuffer {
        guard byteCount >= 0 else { throw .invalidArgument("negative buffer size \(byteCount)") }
        let capacity = Self.sizeClass(byteCount)
        if byteCount > maxAllocationBytes { throw .outOfMemory(bytes: byteCount, device: deviceName) }
        let size = capacity <= maxAllocationBytes ? capacity : byteCount
        let reused: CLObject? = state.withLock { state in
            guard let mem = state.free[size]?.popLast() else { return nil }
            state.pooledBytes -= size
            state.liveBytes += size
            return mem
        }
        if let reused { return OpenCLBuffer(byteCount: byteCount, capacity: size, mem: reused, pool: self) }
        var mem = try create(size)
        if mem == nil {
            // The driver is full: give back everything pooled and try once more.
            trim()
            mem = try create(size)
        }
        guard let mem else { throw .outOfMemory(bytes: byteCount, device: deviceName) }
        state.withLock { $0.liveBytes += size }
        return OpenCLBuffer(byteCount: byteCount, capacity: size, mem: mem, pool: self)
    }

    /// A new cl_mem, or nil when the driver reports that memory ran out.
    private func create(_ size: Int) throws(ComputeError) -> CLObject? {
        var status: cl_int = 0
        let mem = api.createBuffer(context.raw, cl_mem_flags(CL_MEM_READ_WRITE), size, nil, &status)
        if status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
            || status == CL_OUT_OF_HOST_MEMORY || status == CL_INVALID_BUFFER_SIZE
        {
            return nil
        }
        try clCheck(status, "clCreateBuffer")
        guard let mem else { throw .openCL(call: "clCreateBuffer", code: status) }
        return CLObject(mem, release: api.releaseMemObject)
    }

    /// Takes back a freed buffer's memory; keeps it for reuse unless the pool is full.
    func recycle(_ mem: CLObject, capacity: Int) {
        state.withLock { state in
            state.liveBytes -= capacity
            if state.pooledBytes + capacity <= maxPooledBytes {
                state.free[capacity, default: []].append(mem)
                state.pooledBytes += capacity
            }
        }
        // A dropped `mem` is released here, outside the lock; queued commands keep it alive in the driver.
    }

    /// Releases every pooled buffer.
    func trim() {
        let dropped = state.withLock { state -> [Int: [CLObject]] in
            defer {
                state.free = [:]
                state.pooledBytes = 0
            }
            return state.free
        }
        _ = dropped
    }
}
