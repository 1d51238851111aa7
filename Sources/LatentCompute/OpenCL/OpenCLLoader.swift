import COpenCL
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The OpenCL entry points this package calls, resolved with dlsym from the ICD loader that is
/// opened at run time (the binary never links libOpenCL). Created once per process by `load()`.
struct OpenCLAPI: @unchecked Sendable {
    typealias Callback = UnsafeMutableRawPointer?

    let getPlatformIDs: @convention(c) (cl_uint, UnsafeMutablePointer<cl_platform_id?>?, UnsafeMutablePointer<cl_uint>?) -> cl_int
    let getPlatformInfo: @convention(c) (cl_platform_id?, cl_platform_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    let getDeviceIDs:
        @convention(c) (cl_platform_id?, cl_device_type, cl_uint, UnsafeMutablePointer<cl_device_id?>?, UnsafeMutablePointer<cl_uint>?) -> cl_int
    let getDeviceInfo: @convention(c) (cl_device_id?, cl_device_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    let createContext:
        @convention(c) (
            UnsafePointer<cl_context_properties>?, cl_uint, UnsafePointer<cl_device_id?>?, Callback, UnsafeMutableRawPointer?,
            UnsafeMutablePointer<cl_int>?
        ) -> cl_context?
    let releaseContext: @convention(c) (cl_context?) -> cl_int
    let createCommandQueue:
        @convention(c) (cl_context?, cl_device_id?, cl_command_queue_properties, UnsafeMutablePointer<cl_int>?) -> cl_command_queue?
    let releaseCommandQueue: @convention(c) (cl_command_queue?) -> cl_int
    let createBuffer: @convention(c) (cl_context?, cl_mem_flags, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<cl_int>?) -> cl_mem?
    let releaseMemObject: @convention(c) (cl_mem?) -> cl_int
    let createSubBuffer: @convention(c) (cl_mem?, cl_mem_flags, cl_buffer_create_type, UnsafeRawPointer?, UnsafeMutablePointer<cl_int>?) -> cl_mem?
    let createProgramWithSource:
        @convention(c) (cl_context?, cl_uint, UnsafeMutablePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?, UnsafeMutablePointer<cl_int>?) ->
            cl_program?
    let createProgramWithBinary:
        @convention(c) (
            cl_context?, cl_uint, UnsafePointer<cl_device_id?>?, UnsafePointer<Int>?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
            UnsafeMutablePointer<cl_int>?, UnsafeMutablePointer<cl_int>?
        ) -> cl_program?
    let buildProgram:
        @convention(c) (cl_program?, cl_uint, UnsafePointer<cl_device_id?>?, UnsafePointer<CChar>?, Callback, UnsafeMutableRawPointer?) -> cl_int
    let getProgramBuildInfo:
        @convention(c) (cl_program?, cl_device_id?, cl_program_build_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    let getProgramInfo: @convention(c) (cl_program?, cl_program_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    let releaseProgram: @convention(c) (cl_program?) -> cl_int
    let createKernel: @convention(c) (cl_program?, UnsafePointer<CChar>?, UnsafeMutablePointer<cl_int>?) -> cl_kernel?
    let releaseKernel: @convention(c) (cl_kernel?) -> cl_int
    let setKernelArg: @convention(c) (cl_kernel?, cl_uint, Int, UnsafeRawPointer?) -> cl_int
    let enqueueNDRangeKernel:
        @convention(c) (
            cl_command_queue?, cl_kernel?, cl_uint, UnsafePointer<Int>?, UnsafePointer<Int>?, UnsafePointer<Int>?, cl_uint, UnsafePointer<cl_event?>?,
            UnsafeMutablePointer<cl_event?>?
        ) -> cl_int
    let enqueueWriteBuffer:
        @convention(c) (
            cl_command_queue?, cl_mem?, cl_bool, Int, Int, UnsafeRawPointer?, cl_uint, UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?
        ) -> cl_int
    let enqueueReadBuffer:
        @convention(c) (
            cl_command_queue?, cl_mem?, cl_bool, Int, Int, UnsafeMutableRawPointer?, cl_uint, UnsafePointer<cl_event?>?,
            UnsafeMutablePointer<cl_event?>?
        ) -> cl_int
    let enqueueCopyBuffer:
        @convention(c) (cl_command_queue?, cl_mem?, cl_mem?, Int, Int, Int, cl_uint, UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?) ->
            cl_int
    let flush: @convention(c) (cl_command_queue?) -> cl_int
    let finish: @convention(c) (cl_command_queue?) -> cl_int
    let getEventProfilingInfo: @convention(c) (cl_event?, cl_profiling_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    let releaseEvent: @convention(c) (cl_event?) -> cl_int

    /// The loaded API, or the reason OpenCL is unusable on this machine. Resolved once per process.
    static let shared: Result<OpenCLAPI, ComputeError> = load()

    /// The API or a `deviceUnavailable` error saying what to install.
    static func get() throws(ComputeError) -> OpenCLAPI { try shared.get() }

    /// The ICD loader's names, tried in order. Never a driver (PoCL) directly: the loader picks drivers.
    static let loaderNames = ["libOpenCL.so.1", "libOpenCL.so"]

    /// Opens the first loader of `libraries` that exists and resolves every entry point.
    static func load(libraries: [String] = loaderNames) -> Result<OpenCLAPI, ComputeError> {
        // The loader finds the drivers (PoCL, NVIDIA, ...) through /etc/OpenCL/vendors.
        guard let handle = libraries.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            return .failure(
                .deviceUnavailable(
                    "no OpenCL ICD loader (libOpenCL.so.1) found; install ocl-icd-libopencl1 and a driver such as pocl-opencl-icd"))
        }
        do {
            // The handle stays open for the life of the process: the functions point into it.
            return .success(try OpenCLAPI(handle: handle))
        } catch {
            return .failure(error)
        }
    }

    private init(handle: UnsafeMutableRawPointer) throws(ComputeError) {
        func symbol<F>(_ name: String) throws(ComputeError) -> F {
            guard let pointer = dlsym(handle, name) else {
                throw .deviceUnavailable("the OpenCL ICD loader lacks \(name); install a current ocl-icd-libopencl1")
            }
            return unsafeBitCast(pointer, to: F.self)
        }
        getPlatformIDs = try symbol("clGetPlatformIDs")
        getPlatformInfo = try symbol("clGetPlatformInfo")
        getDeviceIDs = try symbol("clGetDeviceIDs")
        getDeviceInfo = try symbol("clGetDeviceInfo")
        createContext = try symbol("clCreateContext")
        releaseContext = try symbol("clReleaseContext")
        createCommandQueue = try symbol("clCreateCommandQueue")
        releaseCommandQueue = try symbol("clReleaseCommandQueue")
        createBuffer = try symbol("clCreateBuffer")
        releaseMemObject = try symbol("clReleaseMemObject")
        createSubBuffer = try symbol("clCreateSubBuffer")
        createProgramWithSource = try symbol("clCreateProgramWithSource")
        createProgramWithBinary = try symbol("clCreateProgramWithBinary")
        buildProgram = try symbol("clBuildProgram")
        getProgramBuildInfo = try symbol("clGetProgramBuildInfo")
        getProgramInfo = try symbol("clGetProgramInfo")
        releaseProgram = try symbol("clReleaseProgram")
        createKernel = try symbol("clCreateKernel")
        releaseKernel = try symbol("clReleaseKernel")
        setKernelArg = try symbol("clSetKernelArg")
        enqueueNDRangeKernel = try symbol("clEnqueueNDRangeKernel")
        enqueueWriteBuffer = try symbol("clEnqueueWriteBuffer")
        enqueueReadBuffer = try symbol("clEnqueueReadBuffer")
        enqueueCopyBuffer = try symbol("clEnqueueCopyBuffer")
        flush = try symbol("clFlush")
        finish = try symbol("clFinish")
        getEventProfilingInfo = try symbol("clGetEventProfilingInfo")
        releaseEvent = try symbol("clReleaseEvent")
    }
}
