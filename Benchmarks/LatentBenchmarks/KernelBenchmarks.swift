import LatentCompute

/// The kernel benchmarks of `latent bench kernels`: every kernel spec's timed shapes from
/// `KernelRegistry`, then the model-level runs that are not one kernel (ModelBenchmarks).
public enum KernelBenchmarks {
    public static func cases(quick: Bool) -> [BenchmarkCase] {
        KernelRegistry.all.flatMap { $0.benchmarks(quick) } + ModelBenchmarks.cases(quick: quick)
    }

    /// The asynchrony check (see `KernelRegistry.chain`), timed by `BenchmarkRunner.time`.
    public static func chain(on device: any Device) throws -> (Double, Double) {
        try KernelRegistry.chain(on: device) { body in try BenchmarkRunner.time(on: device, body) }
    }
}
