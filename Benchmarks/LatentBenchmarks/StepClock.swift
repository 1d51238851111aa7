import Dispatch
#if canImport(Glibc)
    import Glibc
#endif

/// Per-iteration wall time and minor page faults of a sampler run, stamped from its progress
/// callback: it tells a cold first step (buffers growing, pages faulted in) from the steady cost of
/// the later ones. On a device that queues work without waiting (OpenCL) a stamp marks when the
/// step was enqueued, so only the CPU backend's per-step figures are its compute.
public struct StepClock {
    private var stamps: [(nanoseconds: UInt64, faults: Int)] = []

    public init() {}

    /// Marks the start of the run, then the end of each iteration.
    public mutating func stamp() {
        stamps.append((DispatchTime.now().uptimeNanoseconds, Self.minorFaults()))
    }

    /// Milliseconds of each iteration.
    public var stepMs: [Double] {
        zip(stamps.dropFirst(), stamps).map { Double($0.nanoseconds - $1.nanoseconds) / 1e6 }
    }

    /// Minor page faults of the process during each iteration (0 where getrusage is unavailable).
    public var stepFaults: [Int] { zip(stamps.dropFirst(), stamps).map { $0.faults - $1.faults } }

    static func minorFaults() -> Int {
        #if canImport(Glibc)
            var usage = rusage()
            return getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 ? Int(usage.ru_minflt) : 0
        #else
            return 0
        #endif
    }
}
