import Dispatch
import LatentCompute

/// One timed operation on one device.
public struct BenchmarkResult: Sendable {
    public let op: String
    public let backend: String
    public let device: String
    public let shape: String
    /// Median and best wall time of one call, including a device synchronize.
    public let ms: Double
    public let minMs: Double
    public let gflops: Double?
    public let gbps: Double?
    /// Items per second where the op produces countable items (random numbers, images).
    public let itemsPerSecond: Double?
    /// Kernel launches and blocking waits (host syncs) per call, the timing's own synchronize
    /// excluded; nil where not measured. The CPU backend counts no launches.
    public var launchesPerCall: Double?
    public var hostSyncsPerCall: Double?
}

public enum BenchmarkRunner {
    /// Warms up once, then times `repetitions` calls (each followed by synchronize) or until
    /// `budgetSeconds` has been spent, and reports the median.
    public static func run(
        _ c: BenchmarkCase, on device: any Device, repetitions: Int = 10,
        budgetSeconds: Double = 3
    ) throws -> BenchmarkResult {
        let body = try c.prepare(device)
        // The warm-up call stays out of the counts: its one-time work (a flow's data-dependent
        // initialisation, the first step's uploads) is not per step.
        try body()
        try device.synchronize()
        let before = device.activity
        var calls = 0
        let (median, best) = try measure(on: device, repetitions: repetitions, budgetSeconds: budgetSeconds, warmUp: false) {
            calls += 1
            try body()
        }
        // measure synchronizes once after each call.
        let activity = device.activity.since(before)
        let seconds = median / 1e3
        var result = BenchmarkResult(
            op: c.op, backend: device.backend.rawValue, device: device.name, shape: c.shape,
            ms: median, minMs: best,
            gflops: c.flops.map { $0 / seconds / 1e9 }, gbps: c.bytes.map { $0 / seconds / 1e9 },
            itemsPerSecond: c.items.map { $0 / seconds })
        result.launchesPerCall = Double(activity.launches) / Double(max(calls, 1))
        result.hostSyncsPerCall = Double(max(0, activity.waits - calls)) / Double(max(calls, 1))
        return result
    }

    /// The median and best wall time in milliseconds of `body` (synchronized), after one warm-up call
    /// (unless `warmUp` is false):
    /// `repetitions` calls, or fewer (at least 3) once `budgetSeconds` has been spent.
    public static func measure(
        on device: any Device, repetitions: Int, budgetSeconds: Double, warmUp: Bool = true,
        _ body: () throws -> Void
    ) throws -> (median: Double, min: Double) {
        if warmUp {
            try body()
            try device.synchronize()
        }
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while times.count < repetitions {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            try device.synchronize()
            let t1 = DispatchTime.now().uptimeNanoseconds
            times.append(Double(t1 - t0) / 1e6)
            if times.count >= 3, Double(t1 - start) / 1e9 > budgetSeconds { break }
        }
        times.sort()
        return (times[times.count / 2], times[0])
    }

    /// Wall time of `body` once, synchronized, in milliseconds.
    public static func time(on device: any Device, _ body: () throws -> Void) throws -> Double {
        try device.synchronize()
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        try device.synchronize()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
    }
}
