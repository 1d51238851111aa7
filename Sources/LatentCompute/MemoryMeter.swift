/// Bytes held by a device's live buffers now, and the most held at once since the last
/// `resetPeakMemory()` (or since the process started).
public struct MemoryUsage: Sendable, Equatable {
    public let liveBytes: Int
    public let peakBytes: Int

    public init(liveBytes: Int, peakBytes: Int) {
        self.liveBytes = liveBytes
        self.peakBytes = peakBytes
    }
}

/// Counts the bytes of buffers allocated and freed, keeping the high-water mark; thread-safe.
final class MemoryMeter: Sendable {
    private let state = Locked(MemoryUsage(liveBytes: 0, peakBytes: 0))

    func allocated(_ bytes: Int) {
        state.withLock { usage in
            let live = usage.liveBytes + bytes
            usage = MemoryUsage(liveBytes: live, peakBytes: max(usage.peakBytes, live))
        }
    }

    func freed(_ bytes: Int) {
        state.withLock { usage in usage = MemoryUsage(liveBytes: usage.liveBytes - bytes, peakBytes: usage.peakBytes) }
    }

    var usage: MemoryUsage { state.withLock { $0 } }

    /// Starts a new high-water mark at the bytes live now.
    func resetPeak() {
        state.withLock { usage in usage = MemoryUsage(liveBytes: usage.liveBytes, peakBytes: usage.liveBytes) }
    }
}
