/// What a device was asked to do: kernel launches, host-to-device and device-to-host transfers,
/// and blocking waits (a read or `synchronize`). `latent bench` reports them per step; a step that
/// waits for the device stalls a GPU's queue.
public struct DeviceActivity: Sendable, Equatable, CustomStringConvertible {
    public var launches = 0
    public var uploads = 0
    public var downloads = 0
    public var waits = 0
    /// Launches per kernel name (OpenCL's kernel function names, e.g. "sgemm_cpu"): where the
    /// launches of a step go.
    public var launchesByKernel: [String: Int] = [:]
    /// Device time per kernel name in nanoseconds, from OpenCL profiling events; empty unless the
    /// device profiles (`LATENT_OPENCL_PROFILE=1`, which also waits for every launch).
    public var nanosecondsByKernel: [String: UInt64] = [:]

    public init() {}

    /// The counts since `earlier`.
    public func since(_ earlier: DeviceActivity) -> DeviceActivity {
        var d = DeviceActivity()
        d.launches = launches - earlier.launches
        d.uploads = uploads - earlier.uploads
        d.downloads = downloads - earlier.downloads
        d.waits = waits - earlier.waits
        for (kernel, count) in launchesByKernel {
            let difference = count - (earlier.launchesByKernel[kernel] ?? 0)
            if difference != 0 { d.launchesByKernel[kernel] = difference }
        }
        for (kernel, time) in nanosecondsByKernel {
            let difference = time - (earlier.nanosecondsByKernel[kernel] ?? 0)
            if difference != 0 { d.nanosecondsByKernel[kernel] = difference }
        }
        return d
    }

    public var description: String {
        "\(launches) launches, \(uploads) uploads, \(downloads) downloads, \(waits) waits"
    }
}

/// A thread-safe running `DeviceActivity` for a backend to count into.
final class ActivityCounter: @unchecked Sendable {
    private let state = Locked(DeviceActivity())

    var value: DeviceActivity { state.withLock { $0 } }
    func launch(_ kernel: String) {
        state.withLock {
            $0.launches += 1
            $0.launchesByKernel[kernel, default: 0] += 1
        }
    }
    /// A profiled launch's device time.
    func profile(_ kernel: String, nanoseconds: UInt64) {
        state.withLock { $0.nanosecondsByKernel[kernel, default: 0] += nanoseconds }
    }
    func upload() { state.withLock { $0.uploads += 1 } }
    /// A blocking read: a download and a wait.
    func download() {
        state.withLock {
            $0.downloads += 1
            $0.waits += 1
        }
    }
    func wait() { state.withLock { $0.waits += 1 } }
}
