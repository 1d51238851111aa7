#if canImport(Glibc)
    import Glibc
#endif

/// A user's device request: `auto`, `cpu`, `opencl` or `opencl:P:D`.
public enum DeviceRequest: Sendable, Equatable, CustomStringConvertible {
    /// An OpenCL GPU or accelerator when there is one, else the CPU backend.
    case auto
    case cpu
    /// The best OpenCL device: the first GPU or accelerator, else the first device (PoCL included).
    case opencl
    case openclDevice(platform: Int, device: Int)

    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "auto" where parts.count == 1: self = .auto
        case "cpu" where parts.count == 1: self = .cpu
        case "opencl" where parts.count == 1: self = .opencl
        case "opencl" where parts.count == 3:
            guard let p = Int(parts[1]), let d = Int(parts[2]), p >= 0, d >= 0 else { fallthrough }
            self = .openclDevice(platform: p, device: d)
        default:
            throw ComputeError.deviceUnavailable(
                "unknown device '\(text)': use auto, cpu, opencl or opencl:PLATFORM:DEVICE (see `latent devices`)")
        }
    }

    /// LATENT_DEVICE from the environment, else `auto`.
    public static func fromEnvironment() throws -> DeviceRequest {
        guard let value = getenv("LATENT_DEVICE"), !String(cString: value).isEmpty else { return .auto }
        return try DeviceRequest(parsing: String(cString: value))
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .cpu: "cpu"
        case .opencl: "opencl"
        case let .openclDevice(p, d): "opencl:\(p):\(d)"
        }
    }
}

public enum DeviceSelection {
    /// The (platform, device) that `auto` picks among OpenCL devices: the first GPU or accelerator.
    public static func autoChoice(_ devices: [OpenCLDeviceInfo]) -> OpenCLDeviceInfo? {
        devices.first { $0.type == "gpu" || $0.type == "accelerator" }
    }

    /// Resolves a request to a device. `auto` never fails: without a usable OpenCL GPU it returns the
    /// CPU backend and, when OpenCL itself is missing, reports why through `notice` (one line).
    public static func resolve(_ request: DeviceRequest, notice: (String) -> Void = { _ in }) throws -> any Device {
        switch request {
        case .cpu:
            return CPUDevice.shared
        case .opencl:
            let devices = try OpenCLRuntime.discover()
            guard let best = autoChoice(devices) ?? devices.first else {
                throw ComputeError.deviceUnavailable("no OpenCL device found; install a driver (e.g. pocl-opencl-icd) or use --device cpu")
            }
            return try OpenCLRuntime.device(platform: best.platformIndex, device: best.deviceIndex)
        case let .openclDevice(p, d):
            return try OpenCLRuntime.device(platform: p, device: d)
        case .auto:
            do {
                if let choice = autoChoice(try OpenCLRuntime.discover()) {
                    return try OpenCLRuntime.device(platform: choice.platformIndex, device: choice.deviceIndex)
                }
            } catch {
                notice("OpenCL unavailable (\(error)); using the CPU backend")
            }
            return CPUDevice.shared
        }
    }
}
