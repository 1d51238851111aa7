// PLACEHOLDER: replaced by the OpenCL runtime (discovery, context, queue, program cache, pool).

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
}

public enum OpenCLRuntime {
    /// Every device of every platform; throws `deviceUnavailable` with the reason when OpenCL is absent.
    public static func discover() throws -> [OpenCLDeviceInfo] {
        throw ComputeError.deviceUnavailable("OpenCL runtime not built yet")
    }

    /// The process-wide device object (one context and queue per device, created once).
    public static func device(platform: Int, device: Int) throws -> OpenCLDevice {
        throw ComputeError.deviceUnavailable("OpenCL runtime not built yet")
    }
}

public final class OpenCLDevice: Device {
    public let backend = Backend.opencl
    public let info: OpenCLDeviceInfo
    public var name: String { info.name }
    init(info: OpenCLDeviceInfo) { self.info = info }

    public func makeBuffer(byteCount: Int) throws -> any DeviceBuffer { throw notImplemented("makeBuffer", "opencl") }
    public func write(_ source: UnsafeRawBufferPointer, to buffer: any DeviceBuffer, byteOffset: Int) throws { throw notImplemented("write", "opencl") }
    public func read(_ buffer: any DeviceBuffer, byteOffset: Int, into destination: UnsafeMutableRawBufferPointer) throws { throw notImplemented("read", "opencl") }
    public func synchronize() throws {}
}
