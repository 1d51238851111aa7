/// A timed run: a name, a shape label, the work it does, and `prepare`, which allocates inputs on
/// a device and returns the closure to time. Kernel benchmarks live with their kernel's spec in
/// `KernelRegistry`; `latent bench` times them (Benchmarks/LatentBenchmarks/BenchmarkRunner.swift).
public struct BenchmarkCase: Sendable {
    public let op: String
    public let shape: String
    public let flops: Double?
    public let bytes: Double?
    public let items: Double?
    public let prepare: @Sendable (any Device) throws -> () throws -> Void

    public init(
        op: String, shape: String, flops: Double? = nil, bytes: Double? = nil, items: Double? = nil,
        prepare: @escaping @Sendable (any Device) throws -> () throws -> Void
    ) {
        self.op = op
        self.shape = shape
        self.flops = flops
        self.bytes = bytes
        self.items = items
        self.prepare = prepare
    }
}
