import Dispatch
#if canImport(Glibc)
    import Glibc
#endif

/// Host memory for the CPU backend, 64-byte aligned so SIMD loads never straddle cache lines.
public final class CPUBuffer: DeviceBuffer, @unchecked Sendable {
    public let byteCount: Int
    public let pointer: UnsafeMutableRawPointer
    /// The bytes reserved for this buffer (its pool size class), as counted by the meter; 0 for a view.
    let allocationBytes: Int
    /// The buffer a view aliases (kept alive by the view); nil for a buffer that owns its memory.
    let owner: CPUBuffer?

    init(byteCount: Int) throws {
        guard let (raw, capacity) = CPUMemoryPool.shared.allocate(byteCount) else {
            throw ComputeError.outOfMemory(bytes: byteCount, device: "cpu")
        }
        self.byteCount = byteCount
        self.allocationBytes = capacity
        self.pointer = raw
        self.owner = nil
        CPUBuffer.meter.allocated(capacity)
    }

    /// `byteCount` bytes of `owner` from `byteOffset`, without a copy.
    init(viewing owner: CPUBuffer, byteOffset: Int, byteCount: Int) {
        self.byteCount = byteCount
        self.allocationBytes = 0
        self.pointer = owner.pointer + byteOffset
        self.owner = owner
    }

    deinit {
        guard owner == nil else { return }
        CPUMemoryPool.shared.release(pointer, capacity: allocationBytes)
        CPUBuffer.meter.freed(allocationBytes)
    }

    /// Host memory is one pool for every CPUDevice of the process.
    static let meter = MemoryMeter()

    var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
    var int32s: UnsafeMutablePointer<Int32> { pointer.assumingMemoryBound(to: Int32.self) }
}

/// The pure-Swift backend: SIMD types, cache blocking, every core through Dispatch.
/// Kernels run synchronously on the calling thread (fanning out to worker threads inside).
public final class CPUDevice: Device {
    public static let shared = CPUDevice()

    public let backend = Backend.cpu
    public let threads: Int
    let counter = ActivityCounter()
    public var activity: DeviceActivity { counter.value }
    public var name: String { "cpu (\(threads) threads)" }

    public init(threads: Int = CPUDevice.defaultThreadCount) {
        self.threads = max(1, threads)
    }

    /// LATENT_THREADS, else the number of active processors.
    public static var defaultThreadCount: Int {
        if let text = getenv("LATENT_THREADS"), let n = Int(String(cString: text)), n > 0 { return n }
        return sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 0 ? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) : 1
    }

    /// Every fused kernel has its own CPU implementation.
    public func supports(_ kernel: KernelName) -> Bool { true }

    public func makeBuffer(byteCount: Int) throws -> any DeviceBuffer { try CPUBuffer(byteCount: byteCount) }

    /// Views keep the 64-byte alignment every CPU buffer has, which the SIMD kernels rely on for speed.
    public var viewAlignmentBytes: Int? { 64 }

    public func view(of buffer: any DeviceBuffer, byteOffset: Int, byteCount: Int) throws -> (any DeviceBuffer)? {
        let owner = try cpu(buffer)
        guard byteOffset >= 0, byteCount >= 0, byteOffset + byteCount <= owner.byteCount else {
            throw ComputeError.invalidArgument("view of \(byteCount) bytes at \(byteOffset) into a \(owner.byteCount)-byte buffer")
        }
        guard byteOffset % 64 == 0 else { return nil }
        return CPUBuffer(viewing: owner, byteOffset: byteOffset, byteCount: byteCount)
    }

    public func write(_ source: UnsafeRawBufferPointer, to buffer: any DeviceBuffer, byteOffset: Int) throws {
        let target = try cpu(buffer)
        guard byteOffset >= 0, byteOffset + source.count <= target.byteCount else {
            throw ComputeError.invalidArgument("write of \(source.count) bytes at \(byteOffset) into a \(target.byteCount)-byte buffer")
        }
        counter.upload()
        if let base = source.baseAddress { (target.pointer + byteOffset).copyMemory(from: base, byteCount: source.count) }
    }

    public func read(_ buffer: any DeviceBuffer, byteOffset: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let source = try cpu(buffer)
        guard byteOffset >= 0, byteOffset + destination.count <= source.byteCount else {
            throw ComputeError.invalidArgument("read of \(destination.count) bytes at \(byteOffset) from a \(source.byteCount)-byte buffer")
        }
        counter.download()
        if let base = destination.baseAddress { base.copyMemory(from: source.pointer + byteOffset, byteCount: destination.count) }
    }

    public func synchronize() throws { counter.wait() }

    public var memoryUsage: MemoryUsage { CPUBuffer.meter.usage }
    public func resetPeakMemory() { CPUBuffer.meter.resetPeak() }

    /// Downcasts a buffer, failing clearly when it belongs to another backend.
    func cpu(_ buffer: any DeviceBuffer) throws -> CPUBuffer {
        guard let buffer = buffer as? CPUBuffer else {
            throw ComputeError.deviceMismatch("a \(type(of: buffer)) was passed to the CPU backend")
        }
        return buffer
    }

    /// Runs body(start, end) over 0..<count split into at most `threads` chunks of at least `grain`.
    func parallelFor(_ count: Int, grain: Int = 16_384, _ body: (Int, Int) -> Void) {
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0, count)
            return
        }
        // Chunks write disjoint ranges, so sharing the non-Sendable body (and the raw pointers it
        // captures) across worker threads is safe; concurrentPerform returns only when all finish.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let shared = body
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                shared(count * c / chunks, count * (c + 1) / chunks)
            }
        }
    }
}
