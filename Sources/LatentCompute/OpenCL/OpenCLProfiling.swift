import COpenCL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Per-kernel device time (LATENT_OPENCL_PROFILE=1): the queue is created with profiling enabled,
/// every launch gets an event, and the launch waits for it and adds its end − start time to
/// `DeviceActivity.nanosecondsByKernel`. Waiting serialises host and device, so a profiled run's
/// wall time is a little longer than a normal one; the kernel times themselves are the device's.
extension OpenCLDevice {
    static var profilesKernelsByDefault: Bool {
        guard let value = getenv("LATENT_OPENCL_PROFILE") else { return false }
        return !["", "0"].contains(String(cString: value))
    }

    /// Waits for a profiled launch's event, records its device time and releases it.
    func recordProfile(of kernel: String, event: cl_event) throws {
        defer { _ = api.releaseEvent(event) }
        counter.wait()
        try clCheck(api.finish(queue.raw), "clFinish after kernel \(kernel) (LATENT_OPENCL_PROFILE=1)")
        var start: cl_ulong = 0, end: cl_ulong = 0
        try clCheck(
            api.getEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START), 8, &start, nil),
            "clGetEventProfilingInfo(\(kernel))")
        try clCheck(
            api.getEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END), 8, &end, nil),
            "clGetEventProfilingInfo(\(kernel))")
        counter.profile(kernel, nanoseconds: end >= start ? UInt64(end - start) : 0)
    }
}
