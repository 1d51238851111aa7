/// Errors of the compute layer. Each message says what was wrong and, where it helps, what to do.
public enum ComputeError: Error, CustomStringConvertible, Equatable {
    /// An OpenCL call failed: the call's name and the CL error code.
    case openCL(call: String, code: Int32)
    /// A program failed to compile; the build log is included.
    case programBuild(family: String, device: String, log: String)
    /// Shapes that an operation cannot accept.
    case shapeMismatch(String)
    /// A tensor argument of the wrong dtype.
    case dtypeMismatch(String)
    /// Tensors on different devices were combined.
    case deviceMismatch(String)
    /// A device could not allocate memory.
    case outOfMemory(bytes: Int, device: String)
    /// A device request that cannot be satisfied (unknown name, no OpenCL, bad index).
    case deviceUnavailable(String)
    /// An index outside its valid range.
    case indexOutOfRange(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .openCL(call, code): "\(call) failed with \(openCLErrorName(code)) (\(code))" + openCLHint(code)
        case let .programBuild(family, device, log): "OpenCL build of \(family).cl failed on \(device):\n\(log)"
        case let .shapeMismatch(message): "shape mismatch: \(message)"
        case let .dtypeMismatch(message): "dtype mismatch: \(message)"
        case let .deviceMismatch(message): "device mismatch: \(message)"
        case let .outOfMemory(bytes, device):
            "out of memory: could not allocate \(bytes) bytes on \(device); use a smaller batch or model"
        case let .deviceUnavailable(message): message
        case let .indexOutOfRange(message): "index out of range: \(message)"
        case let .invalidArgument(message): "invalid argument: \(message)"
        }
    }
}

/// What a user can do about an OpenCL failure that is not a bug in the call: the device ran out
/// of memory or resources mid-run, or was lost (a driver reset, a GPU taken away).
func openCLHint(_ code: Int32) -> String {
    switch code {
    case -4, -5, -6:
        "; the device ran out of memory or resources, or was lost (driver reset): checkpoints already "
            + "written are intact, so restart with --resume, a smaller batch, or --device cpu"
    case -2:
        "; the device is no longer available: restart with --resume on another --device"
    default: ""
    }
}

/// The symbolic name of an OpenCL error code, e.g. -5 → CL_OUT_OF_RESOURCES.
public func openCLErrorName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE",
        -3: "CL_COMPILER_NOT_AVAILABLE", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5: "CL_OUT_OF_RESOURCES",
        -6: "CL_OUT_OF_HOST_MEMORY", -7: "CL_PROFILING_INFO_NOT_AVAILABLE", -8: "CL_MEM_COPY_OVERLAP",
        -11: "CL_BUILD_PROGRAM_FAILURE", -12: "CL_MAP_FAILURE", -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE", -32: "CL_INVALID_PLATFORM",
        -33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT", -35: "CL_INVALID_QUEUE_PROPERTIES",
        -36: "CL_INVALID_COMMAND_QUEUE", -37: "CL_INVALID_HOST_PTR", -38: "CL_INVALID_MEM_OBJECT",
        -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS", -44: "CL_INVALID_PROGRAM",
        -45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME", -47: "CL_INVALID_KERNEL_DEFINITION",
        -48: "CL_INVALID_KERNEL", -49: "CL_INVALID_ARG_INDEX", -50: "CL_INVALID_ARG_VALUE",
        -51: "CL_INVALID_ARG_SIZE", -52: "CL_INVALID_KERNEL_ARGS", -53: "CL_INVALID_WORK_DIMENSION",
        -54: "CL_INVALID_WORK_GROUP_SIZE", -55: "CL_INVALID_WORK_ITEM_SIZE", -56: "CL_INVALID_GLOBAL_OFFSET",
        -57: "CL_INVALID_EVENT_WAIT_LIST", -58: "CL_INVALID_EVENT", -59: "CL_INVALID_OPERATION",
        -61: "CL_INVALID_BUFFER_SIZE", -63: "CL_INVALID_GLOBAL_WORK_SIZE", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
    ]
    return names[code] ?? "CL error"
}
