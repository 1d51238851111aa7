import COpenCL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One argument of an OpenCL kernel launch, in the kernel's parameter order.
public enum KernelArgument {
    case buffer(any DeviceBuffer)
    case int(Int32)
    case uint(UInt32)
    case float(Float)
    /// An OpenCL `int8` vector argument; fewer than 8 lanes are padded with 0.
    case int8([Int32])
    /// `__local` memory of this many bytes.
    case local(bytes: Int)
}

extension OpenCLDevice {
    /// Enqueues `kernel` from Kernels/<family>.cl (program built on first use with `options`, cached).
    /// `global` sizes must be multiples of `local` when given. A zero-sized global is a no-op.
    /// The call returns without waiting; `read` and `synchronize` wait.
    func launch(
        family: String, kernel: String, options: String = "", global: [Int], local: [Int]? = nil,
        arguments: [KernelArgument]
    ) throws {
        guard !global.isEmpty, global.count <= 3 else {
            throw ComputeError.invalidArgument("launch of \(kernel): \(global.count) work dimensions")
        }
        if global.contains(0) { return }
        if let local {
            guard local.count == global.count, zip(global, local).allSatisfy({ $1 > 0 && $0 % $1 == 0 }) else {
                throw ComputeError.invalidArgument("launch of \(kernel): global \(global) is not a multiple of local \(local)")
            }
        }
        let object = try self.kernel(family: family, name: kernel, options: options)
        var event: cl_event? = nil
        // Buffers are resolved before taking the lock so that a wrong buffer fails cleanly.
        let mems: [cl_mem?] = try arguments.map { argument in
            if case let .buffer(buffer) = argument { return try openCL(buffer).mem.raw }
            return nil
        }
        try launchLock.withLock { _ in
            for (index, argument) in arguments.enumerated() {
                let slot = cl_uint(index)
                let status: cl_int
                switch argument {
                case .buffer:
                    var mem = mems[index]
                    status = api.setKernelArg(object.raw, slot, MemoryLayout<cl_mem?>.size, &mem)
                case var .int(value):
                    status = api.setKernelArg(object.raw, slot, 4, &value)
                case var .uint(value):
                    status = api.setKernelArg(object.raw, slot, 4, &value)
                case var .float(value):
                    status = api.setKernelArg(object.raw, slot, 4, &value)
                case let .int8(lanes):
                    var padded = [Int32](repeating: 0, count: 8)
                    for (lane, value) in lanes.prefix(8).enumerated() { padded[lane] = value }
                    status = padded.withUnsafeBytes { api.setKernelArg(object.raw, slot, 32, $0.baseAddress) }
                case let .local(bytes):
                    status = api.setKernelArg(object.raw, slot, max(bytes, 4), nil)
                }
                try clCheck(status, "clSetKernelArg(\(kernel), \(index))")
            }
            let status = withUnsafeMutablePointer(to: &event) { eventSlot in
                // An event only when profiling: PoCL allocates one per launch otherwise for nothing.
                let eventTarget = profilesKernels ? eventSlot : nil
                return global.withUnsafeBufferPointer { globalSizes in
                    if let local {
                        return local.withUnsafeBufferPointer { localSizes in
                            api.enqueueNDRangeKernel(
                                queue.raw, object.raw, cl_uint(global.count), nil, globalSizes.baseAddress,
                                localSizes.baseAddress, 0, nil, eventTarget)
                        }
                    }
                    return api.enqueueNDRangeKernel(
                        queue.raw, object.raw, cl_uint(global.count), nil, globalSizes.baseAddress,
                        nil, 0, nil, eventTarget)
                }
            }
            try clCheck(status, "clEnqueueNDRangeKernel(\(kernel))")
        }
        counter.launch(kernel)
        if let event { try recordProfile(of: kernel, event: event) }
        if synchronizesEveryLaunch { try finishLaunch(of: kernel) }
    }

    /// LATENT_OPENCL_SYNC=1: finishes the queue after every launch, so an error surfaces at the
    /// kernel that caused it (a debugging mode; it serialises host and device).
    static var synchronizesEveryLaunchByDefault: Bool {
        guard let value = getenv("LATENT_OPENCL_SYNC") else { return false }
        return !["", "0"].contains(String(cString: value))
    }

    /// clFinish after a launch, naming the kernel when it fails.
    func finishLaunch(of kernel: String) throws {
        counter.wait()
        let status = api.finish(queue.raw)
        guard status == CL_SUCCESS else {
            throw ComputeError.openCL(call: "clFinish after kernel \(kernel) (LATENT_OPENCL_SYNC=1)", code: status)
        }
    }

    /// Checks that an element count fits the kernels' 32-bit indexing and returns it as Int32.
    func kernelCount(_ count: Int, _ what: String = "element count") throws -> Int32 {
        guard count >= 0, count <= Int(Int32.max) else {
            throw ComputeError.invalidArgument("\(what) \(count) exceeds the OpenCL kernels' 32-bit indexing")
        }
        return Int32(count)
    }

    /// True when CPU-shaped kernel variants run: on CPU OpenCL devices (PoCL), unless a variant is
    /// forced for this scope (`KernelVariant.$forced`, as the parity suite does).
    var usesCPUShapedKernels: Bool {
        switch KernelVariant.forced {
        case .cpuShaped?: true
        case .gpuShaped?: false
        default: info.type == "cpu"
        }
    }
}
