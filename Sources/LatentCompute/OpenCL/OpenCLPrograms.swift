import COpenCL
import LatentKernels

/// A device's built programs and kernel objects, keyed by family, options and kernel name.
struct ProgramTable {
    var programs: [String: CLObject] = [:]
    var kernels: [String: CLObject] = [:]
}

extension OpenCLDevice {
    /// Options every program is built with.
    static let baseBuildOptions = "-cl-std=CL1.2"

    /// A family's source behind the shared prelude, Kernels/common.cl (Philox, strided index helpers).
    static func programSource(family source: String) -> String {
        (KernelSources.source(family: "common") ?? "") + "\n" + source
    }

    /// The kernel object `name` of Kernels/<family>.cl built with `options`; built on first use.
    func kernel(family: String, name: String, options: String) throws -> CLObject {
        let key = family + "\u{0}" + options + "\u{0}" + name
        return try programs.withLock { table in
            if let kernel = table.kernels[key] { return kernel }
            let programKey = family + "\u{0}" + options
            let program: CLObject
            if let built = table.programs[programKey] {
                program = built
            } else {
                guard let source = KernelSources.source(family: family) else {
                    throw ComputeError.invalidArgument("no OpenCL kernel file Kernels/\(family).cl")
                }
                program = try buildProgram(source: Self.programSource(family: source), options: options, family: family).program
                table.programs[programKey] = program
            }
            var status: cl_int = 0
            guard let raw = name.withCString({ api.createKernel(program.raw, $0, &status) }), status == CL_SUCCESS else {
                throw ComputeError.openCL(call: "clCreateKernel(\(name))", code: status)
            }
            let kernel = CLObject(raw, release: api.releaseKernel)
            table.kernels[key] = kernel
            return kernel
        }
    }

    /// Builds `source` for this device (not cached in memory). Uses the disk cache's binary when it has
    /// one for the same source, options, device and driver, else compiles and stores the binary.
    /// A compile error throws `programBuild` with the build log.
    func buildProgram(
        source: String, options: String, family: String = "custom",
        cache: OpenCLProgramDiskCache? = .standard
    ) throws -> (program: CLObject, fromDiskCache: Bool) {
        let fullOptions = options.isEmpty ? Self.baseBuildOptions : Self.baseBuildOptions + " " + options
        let key = OpenCLProgramDiskCache.key(
            source: source, options: fullOptions, deviceName: info.name,
            driverVersion: info.driverVersion)
        if let cache, let binary = cache.load(key: key), let program = programFromBinary(binary, options: fullOptions) {
            return (program, true)
        }
        var status: cl_int = 0
        let created = source.withCString { text -> cl_program? in
            var pointer: UnsafePointer<CChar>? = text
            var length = source.utf8.count
            return api.createProgramWithSource(context.raw, 1, &pointer, &length, &status)
        }
        guard let created, status == CL_SUCCESS else { throw ComputeError.openCL(call: "clCreateProgramWithSource", code: status) }
        let program = CLObject(created, release: api.releaseProgram)
        var device: cl_device_id? = deviceID
        let built = fullOptions.withCString { api.buildProgram(program.raw, 1, &device, $0, nil, nil) }
        if built == CL_BUILD_PROGRAM_FAILURE || built == CL_INVALID_BUILD_OPTIONS {
            throw ComputeError.programBuild(family: family, device: info.name, log: buildLog(program))
        }
        try clCheck(built, "clBuildProgram")
        if let cache, let binary = programBinary(program) { cache.store(key: key, bytes: binary) }
        return (program, false)
    }

    /// A program built from a cached binary, or nil when the driver rejects the binary.
    private func programFromBinary(_ binary: [UInt8], options: String) -> CLObject? {
        var status: cl_int = 0
        var binaryStatus: cl_int = 0
        var device: cl_device_id? = deviceID
        var length = binary.count
        let created = binary.withUnsafeBufferPointer { bytes -> cl_program? in
            var pointer: UnsafePointer<UInt8>? = bytes.baseAddress
            return api.createProgramWithBinary(context.raw, 1, &device, &length, &pointer, &binaryStatus, &status)
        }
        guard let created else { return nil }
        let program = CLObject(created, release: api.releaseProgram)
        guard status == CL_SUCCESS, binaryStatus == CL_SUCCESS else { return nil }
        let built = options.withCString { api.buildProgram(program.raw, 1, &device, $0, nil, nil) }
        return built == CL_SUCCESS ? program : nil
    }

    /// The device binary of a built program, or nil when the driver does not provide one.
    private func programBinary(_ program: CLObject) -> [UInt8]? {
        var size = 0
        guard api.getProgramInfo(program.raw, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil) == CL_SUCCESS,
            size > 0
        else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBufferPointer { buffer -> cl_int in
            var pointer: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return api.getProgramInfo(
                program.raw, cl_program_info(CL_PROGRAM_BINARIES),
                MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointer, nil)
        }
        return status == CL_SUCCESS ? bytes : nil
    }

    private func buildLog(_ program: CLObject) -> String {
        var size = 0
        guard api.getProgramBuildInfo(program.raw, deviceID, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
            size > 0
        else { return "(no build log)" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        _ = api.getProgramBuildInfo(program.raw, deviceID, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil)
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
