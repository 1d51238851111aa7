import COpenCL
import Foundation

/// Process-wide OpenCL state: the discovered platforms and devices (found once) and the one
/// `OpenCLDevice` per device, each with its own context and in-order queue, created on first request.
public enum OpenCLRuntime {
    /// One discovered device with the handles needed to open it. Platform and device IDs are never released.
    struct Entry: @unchecked Sendable {
        var info: OpenCLDeviceInfo
        var platform: cl_platform_id
        var device: cl_device_id
        var maxAllocationBytes: Int
    }

    /// Discovery runs once per process; `static let` makes it thread-safe.
    private static let discovery: Result<[Entry], ComputeError> = Result { () throws(ComputeError) in try discoverEntries() }
    private static let openDevices = Locked<[Int: OpenCLDevice]>([:])

    /// Every device of every platform; throws `deviceUnavailable` with the reason when OpenCL is absent.
    public static func discover() throws -> [OpenCLDeviceInfo] {
        try discovery.get().map(\.info)
    }

    /// The process-wide device object (one context and queue per device, created once).
    public static func device(platform: Int, device: Int) throws -> OpenCLDevice {
        let entries = try discovery.get()
        guard let entry = entries.first(where: { $0.info.platformIndex == platform && $0.info.deviceIndex == device }) else {
            let available = entries.map { "opencl:\($0.info.platformIndex):\($0.info.deviceIndex) (\($0.info.name))" }
            throw ComputeError.deviceUnavailable(
                "no OpenCL device opencl:\(platform):\(device); available: \(available.joined(separator: ", "))")
        }
        // Contexts are created under the lock: PoCL misbehaves when several threads create them at once.
        return try openDevices.withLock { devices in
            let key = platform << 16 | device
            if let existing = devices[key] { return existing }
            let opened = try OpenCLDevice(entry: entry, api: OpenCLAPI.get())
            devices[key] = opened
            return opened
        }
    }

    private static func discoverEntries() throws(ComputeError) -> [Entry] {
        let api = try OpenCLAPI.get()
        var platformCount: cl_uint = 0
        let status = api.getPlatformIDs(0, nil, &platformCount)
        if status == -1001 || platformCount == 0 {  // CL_PLATFORM_NOT_FOUND_KHR: the loader found no driver
            throw .deviceUnavailable(
                "no OpenCL platform found (the ICD loader found no driver); install one such as pocl-opencl-icd")
        }
        try clCheck(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        try clCheck(api.getPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")

        var entries: [Entry] = []
        for (platformIndex, platform) in platforms.enumerated() {
            guard let platform else { continue }
            let platformName = try platformString(api, platform, cl_platform_info(CL_PLATFORM_NAME))
            var deviceCount: cl_uint = 0
            let found = api.getDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
            if found == CL_DEVICE_NOT_FOUND || deviceCount == 0 { continue }
            try clCheck(found, "clGetDeviceIDs")
            var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            try clCheck(api.getDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &devices, nil), "clGetDeviceIDs")
            for (deviceIndex, device) in devices.enumerated() {
                guard let device else { continue }
                let query = DeviceQuery(api: api, device: device)
                let type: cl_device_type = try query.value(CL_DEVICE_TYPE)
                let extensions = try query.string(CL_DEVICE_EXTENSIONS).split(separator: " ").map(String.init)
                let doubleConfig: cl_device_fp_config = (try? query.value(CL_DEVICE_DOUBLE_FP_CONFIG)) ?? 0
                let info = OpenCLDeviceInfo(
                    platformIndex: platformIndex, deviceIndex: deviceIndex, platformName: platformName,
                    name: try query.string(CL_DEVICE_NAME),
                    type: typeName(type),
                    computeUnits: Int(try query.value(CL_DEVICE_MAX_COMPUTE_UNITS) as cl_uint),
                    globalMemoryBytes: Int(try query.value(CL_DEVICE_GLOBAL_MEM_SIZE) as cl_ulong),
                    localMemoryBytes: Int(try query.value(CL_DEVICE_LOCAL_MEM_SIZE) as cl_ulong),
                    maxWorkGroupSize: try query.value(CL_DEVICE_MAX_WORK_GROUP_SIZE) as Int,
                    fp16: extensions.contains("cl_khr_fp16"),
                    fp64: extensions.contains("cl_khr_fp64") || doubleConfig != 0,
                    driverVersion: try query.string(CL_DRIVER_VERSION),
                    openCLCVersion: try query.string(CL_DEVICE_OPENCL_C_VERSION))
                let maxAllocation = Int(try query.value(CL_DEVICE_MAX_MEM_ALLOC_SIZE) as cl_ulong)
                entries.append(Entry(info: info, platform: platform, device: device, maxAllocationBytes: maxAllocation))
            }
        }
        if entries.isEmpty {
            throw .deviceUnavailable("OpenCL platforms were found but no devices; check the driver installation (clinfo)")
        }
        return entries
    }

    private static func typeName(_ type: cl_device_type) -> String {
        if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 { return "gpu" }
        if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { return "cpu" }
        if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { return "accelerator" }
        return "other"
    }

    private static func platformString(_ api: OpenCLAPI, _ platform: cl_platform_id, _ param: cl_platform_info) throws(ComputeError) -> String {
        var size = 0
        try clCheck(api.getPlatformInfo(platform, param, 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try clCheck(api.getPlatformInfo(platform, param, size, &bytes, nil), "clGetPlatformInfo")
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Reads clGetDeviceInfo values of one device.
struct DeviceQuery {
    let api: OpenCLAPI
    let device: cl_device_id

    func value<T: FixedWidthInteger>(_ param: Int32) throws(ComputeError) -> T {
        var result: T = 0
        try clCheck(api.getDeviceInfo(device, cl_device_info(param), MemoryLayout<T>.size, &result, nil), "clGetDeviceInfo")
        return result
    }

    func string(_ param: Int32) throws(ComputeError) -> String {
        var size = 0
        try clCheck(api.getDeviceInfo(device, cl_device_info(param), 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try clCheck(api.getDeviceInfo(device, cl_device_info(param), size, &bytes, nil), "clGetDeviceInfo")
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
    }
}
