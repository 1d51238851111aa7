/// One kernel as the parity suite, `latent parity` and `latent bench` see it. Each `KernelName` is
/// registered exactly once, in the family file under Parity/ (e.g. ElementwiseCases.swift).
public struct KernelSpec: Sendable {
    public let kernel: KernelName
    /// Stable op name used in JSON output: "add", "sum", "softmax", "sgemm", "randn", ...
    public var name: String { kernel.name }
    /// The kernel family: the `Kernels/<family>.cl` file and `CPU/<Family>.swift` twin.
    public var family: String { kernel.family }
    /// Largest normalized mean squared error allowed between backends (0 means bit-identical).
    public let tolerance: Double
    /// The variants the parity suite runs, each forced in turn: `native`, or `cpuShaped` and
    /// `gpuShaped` where the OpenCL backend has a kernel per device type; fused kernels add `composed`.
    public let variants: [KernelVariant]
    public let cases: [KernelCase]
    /// The timed runs of `latent bench kernels` (smaller sizes when `quick`).
    public let benchmarks: @Sendable (_ quick: Bool) -> [BenchmarkCase]

    public init(
        _ kernel: KernelName, tolerance: Double, deviceShaped: Bool = false,
        benchmarks: @escaping @Sendable (_ quick: Bool) -> [BenchmarkCase] = { _ in [] }, cases: [KernelCase]
    ) {
        self.kernel = kernel
        self.tolerance = tolerance
        variants = (deviceShaped ? [.cpuShaped, .gpuShaped] : [.native]) + (kernel.isFused ? [.composed] : [])
        self.cases = cases
        self.benchmarks = benchmarks
    }
}

/// One input configuration of a kernel.
public struct KernelCase: Sendable {
    /// The shapes in words, e.g. "17x127 · 127x3".
    public let shape: String
    /// Builds this case's inputs (deterministically, on the host), runs the kernel on `device` and
    /// returns every output, flattened, as Float64 (Int32 outputs converted).
    public let run: @Sendable (any Device) throws -> [[Double]]
    /// The same outputs from a naive Float64 computation of the definition, used to check the CPU
    /// kernel; nil only where the definition is the kernel itself (the noise sampler's bits).
    public let reference: (@Sendable () -> [[Double]])?
    /// NMSE allowed between the CPU kernel and the Float64 reference.
    public let referenceTolerance: Double
    /// The variants this case runs under; nil for all of its kernel's (large cases skip the slow ones).
    public let onlyVariants: Set<KernelVariant>?

    public init(
        shape: String, referenceTolerance: Double = 1e-10, onlyVariants: Set<KernelVariant>? = nil,
        run: @escaping @Sendable (any Device) throws -> [[Double]],
        reference: (@Sendable () -> [[Double]])?
    ) {
        self.shape = shape
        self.run = run
        self.reference = reference
        self.referenceTolerance = referenceTolerance
        self.onlyVariants = onlyVariants
    }

    func runs(under variant: KernelVariant) -> Bool { onlyVariants?.contains(variant) ?? true }
}

public enum KernelRegistry {
    /// Every kernel of the kernel set, one spec per `KernelName` (a test checks it both ways).
    public static var all: [KernelSpec] {
        copyKernels + elementwiseKernels + modulateKernels + reduceKernels + gemmKernels + gemmEpilogueKernels + randomKernels
            + convKernels + convProductKernels + normKernels + backwardKernels + attentionKernels + codebookKernels + mixtureKernels
            + optimKernels
    }

    /// The spec of one kernel.
    public static func spec(_ kernel: KernelName) -> KernelSpec? { all.first { $0.kernel == kernel } }
}
