import COpenCL

/// What `latent devices` shows of one OpenCL device.
public struct OpenCLDeviceInfo: Sendable {
    public var platformIndex: Int
    public var deviceIndex: Int
    public var platformName: String
    public var name: String
    /// "gpu", "cpu", "accelerator" or "other".
    public var type: String
    public var computeUnits: Int
    public var globalMemoryBytes: Int
    public var localMemoryBytes: Int
    public var maxWorkGroupSize: Int
    public var fp16: Bool
    public var fp64: Bool
    public var driverVersion: String
    public var openCLCVersion: String

    public init(
        platformIndex: Int, deviceIndex: Int, platformName: String, name: String, type: String,
        computeUnits: Int, globalMemoryBytes: Int, localMemoryBytes: Int, maxWorkGroupSize: Int,
        fp16: Bool, fp64: Bool, driverVersion: String, openCLCVersion: String
    ) {
        self.platformIndex = platformIndex
        self.deviceIndex = deviceIndex
        self.platformName = platformName
        self.name = name
        self.type = type
        self.computeUnits = computeUnits
        self.globalMemoryBytes = globalMemoryBytes
        self.localMemoryBytes = localMemoryBytes
        self.maxWorkGroupSize = maxWorkGroupSize
        self.fp16 = fp16
        self.fp64 = fp64
        self.driverVersion = driverVersion
        self.openCLCVersion = openCLCVersion
    }
}

/// One OpenCL device with the process's single context and in-order queue for it.
/// Get it from `OpenCLRuntime.device(platform:device:)`; every caller shares the same object.
/// Kernels are enqueued without waiting; `read` (blocking) and `synchronize` wait for queued work.
public final class OpenCLDevice: Device, @unchecked Sendable {
    public let backend = Backend.opencl
    public let info: OpenCLDeviceInfo
    public var name: String { info.name }

    let api: OpenCLAPI
    let deviceID: cl_device_id
    let context: CLObject
    let queue: CLObject
    let maxAllocationBytes: Int
    /// CL_DEVICE_MEM_BASE_ADDR_ALIGN in bytes: what a sub-buffer's offset must be a multiple of.
    let baseAddressAlignmentBytes: Int
    let pool: OpenCLBufferPool
    /// Built programs and their kernels, keyed by family and options (see OpenCLPrograms.swift).
    let programs = Locked(ProgramTable())
    /// Held while setting a shared kernel's arguments and enqueueing it.
    let launchLock = Locked(())
    let counter = ActivityCounter()
    public var activity: DeviceActivity { counter.value }
    /// Finish the queue after every launch (LATENT_OPENCL_SYNC=1; tests set it directly).
    var synchronizesEveryLaunch = OpenCLDevice.synchronizesEveryLaunchByDefault
    /// Time every launch with a profiling event (LATENT_OPENCL_PROFILE=1; tests set it directly;
    /// see OpenCLProfiling.swift).
    var profilesKernels = OpenCLDevice.profilesKernelsByDefault

    init(entry: OpenCLRuntime.Entry, api: OpenCLAPI) throws(ComputeError) {
        self.info = entry.info
        self.api = api
        self.deviceID = entry.device
        self.maxAllocationBytes = entry.maxAllocationBytes
        let alignBits = (try? DeviceQuery(api: api, device: entry.device).value(CL_DEVICE_MEM_BASE_ADDR_ALIGN) as cl_uint) ?? 0
        // The spec's minimum is the size of the largest built-in type (long16, 128 bytes).
        self.baseAddressAlignmentBytes = max(128, Int(alignBits) / 8)
        var status: cl_int = 0
        var device: cl_device_id? = entry.device
        guard let context = api.createContext(nil, 1, &device, nil, nil, &status), status == CL_SUCCESS else {
            throw .openCL(call: "clCreateContext", code: status)
        }
        self.context = CLObject(context, release: api.releaseContext)
        // Profiling is enabled on every queue (drivers only timestamp commands), so that
        // `profilesKernels` can be switched on at any time; events are requested only then.
        let properties = cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE)
        guard let queue = api.createCommandQueue(context, entry.device, properties, &status), status == CL_SUCCESS else {
            throw .openCL(call: "clCreateCommandQueue", code: status)
        }
        self.queue = CLObject(queue, release: api.releaseCommandQueue)
        self.pool = OpenCLBufferPool(
            api: api, context: self.context, deviceName: entry.info.name,
            maxAllocationBytes: entry.maxAllocationBytes,
            maxPooledBytes: min(entry.info.globalMemoryBytes / 4, 4 << 30))
    }

    // MARK: memory

    /// Every fused kernel has its own OpenCL implementation (Kernels/*.cl), except the convolution's
    /// weight gradient, and on GPUs the convolution itself, which run the composed im2col + GEMM
    /// default (Composed/ComposedConvolution.swift; its epilogue rides on the product's,
    /// gemmEpilogue). CPU devices run 3×3 convolutions through Winograd (OpenCLWinograd.swift).
    public func supports(_ kernel: KernelName) -> Bool {
        if kernel == .conv2dBackwardWeight { return false }
        return usesCPUShapedKernels || ![.conv2d, .conv2dEpilogue, .conv2dBackwardInput].contains(kernel)
    }

    /// An eighth of the device's memory, within one allocation: a U-Net's largest column matrix
    /// at batch 64 (173 MB) is one product on any device with 2 GB, instead of 11 chunks of 16 MiB.
    public var scratchBudgetBytes: Int { max(16 << 20, min(maxAllocationBytes, info.globalMemoryBytes / 8)) }

    public func makeBuffer(byteCount: Int) throws -> any DeviceBuffer { try pool.allocate(byteCount: byteCount) }

    public var viewAlignmentBytes: Int? { baseAddressAlignmentBytes }

    /// A sub-buffer (clCreateSubBuffer) of `buffer`: kernels bound to it read and write `buffer` in
    /// place. Views of views are taken from the root buffer. Not counted as memory: it aliases.
    public func view(of buffer: any DeviceBuffer, byteOffset: Int, byteCount: Int) throws -> (any DeviceBuffer)? {
        let owner = try openCL(buffer)
        guard byteOffset >= 0, byteCount >= 0, byteOffset + byteCount <= owner.byteCount else {
            throw ComputeError.invalidArgument("view of \(byteCount) bytes at \(byteOffset) into a \(owner.byteCount)-byte buffer")
        }
        let root = owner.parent ?? owner
        let origin = byteOffset + (owner.parent == nil ? 0 : owner.viewOrigin)
        guard origin % baseAddressAlignmentBytes == 0, byteCount > 0 else { return nil }
        var region = cl_buffer_region(origin: origin, size: byteCount)
        var status: cl_int = 0
        let mem = api.createSubBuffer(
            root.mem.raw, cl_mem_flags(CL_MEM_READ_WRITE), cl_buffer_create_type(CL_BUFFER_CREATE_TYPE_REGION), &region, &status)
        if status == CL_MISALIGNED_SUB_BUFFER_OFFSET { return nil }
        try clCheck(status, "clCreateSubBuffer")
        guard let mem else { throw ComputeError.openCL(call: "clCreateSubBuffer", code: status) }
        return OpenCLBuffer(
            byteCount: byteCount, capacity: byteCount, mem: CLObject(mem, release: api.releaseMemObject), pool: pool,
            parent: root, viewOrigin: origin)
    }

    /// Device memory held by live buffers (their size-class capacity).
    public var liveBytes: Int { pool.liveBytes }
    /// Device memory kept for reuse by freed buffers.
    public var pooledBytes: Int { pool.pooledBytes }
    /// Releases every pooled (freed, unused) buffer back to the driver.
    public func trimPool() { pool.trim() }
    public var memoryUsage: MemoryUsage { pool.usage }
    public func resetPeakMemory() { pool.resetPeak() }

    public func write(_ source: UnsafeRawBufferPointer, to buffer: any DeviceBuffer, byteOffset: Int) throws {
        let target = try openCL(buffer)
        guard byteOffset >= 0, byteOffset + source.count <= target.byteCount else {
            throw ComputeError.invalidArgument("write of \(source.count) bytes at \(byteOffset) into a \(target.byteCount)-byte buffer")
        }
        guard let base = source.baseAddress, source.count > 0 else { return }
        // Blocking: the caller may free `source` as soon as this returns.
        counter.upload()
        let status = api.enqueueWriteBuffer(queue.raw, target.mem.raw, cl_bool(CL_TRUE), byteOffset, source.count, base, 0, nil, nil)
        if status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES {
            throw ComputeError.outOfMemory(bytes: target.byteCount, device: name)
        }
        try clCheck(status, "clEnqueueWriteBuffer")
    }

    public func read(_ buffer: any DeviceBuffer, byteOffset: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let source = try openCL(buffer)
        guard byteOffset >= 0, byteOffset + destination.count <= source.byteCount else {
            throw ComputeError.invalidArgument("read of \(destination.count) bytes at \(byteOffset) from a \(source.byteCount)-byte buffer")
        }
        guard let base = destination.baseAddress, destination.count > 0 else { return }
        counter.download()
        try clCheck(
            api.enqueueReadBuffer(queue.raw, source.mem.raw, cl_bool(CL_TRUE), byteOffset, destination.count, base, 0, nil, nil),
            "clEnqueueReadBuffer")
    }

    public func synchronize() throws {
        counter.wait()
        try clCheck(api.finish(queue.raw), "clFinish")
    }

    /// Downcasts a buffer, failing clearly when it belongs to another backend or device.
    func openCL(_ buffer: any DeviceBuffer) throws(ComputeError) -> OpenCLBuffer {
        guard let buffer = buffer as? OpenCLBuffer else {
            throw .deviceMismatch("a \(type(of: buffer)) was passed to the OpenCL device \(name)")
        }
        guard buffer.pool === pool else {
            throw .deviceMismatch("a buffer of another OpenCL device was passed to \(name)")
        }
        return buffer
    }
}
