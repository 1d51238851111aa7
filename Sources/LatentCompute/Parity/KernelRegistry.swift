/// One kernel as the parity suite, `latent parity` and `latent bench` see it. Each kernel is
/// registered exactly once, in the family file beside this one (e.g. ElementwiseCases.swift).
public struct KernelSpec: Sendable {
    /// Stable op name used in JSON output: "add", "sum", "softmax", "sgemm", "randn", ...
    public let name: String
    /// The kernel family: the `Kernels/<family>.cl` file and `CPU/<Family>.swift` twin.
    public let family: String
    /// Largest normalized mean squared error allowed between backends (0 means bit-identical).
    public let tolerance: Double
    public let cases: [KernelCase]

    public init(name: String, family: String, tolerance: Double, cases: [KernelCase]) {
        self.name = name
        self.family = family
        self.tolerance = tolerance
        self.cases = cases
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

    public init(shape: String, referenceTolerance: Double = 1e-10,
                run: @escaping @Sendable (any Device) throws -> [[Double]],
                reference: (@Sendable () -> [[Double]])?) {
        self.shape = shape
        self.run = run
        self.reference = reference
        self.referenceTolerance = referenceTolerance
    }
}

public enum KernelRegistry {
    /// Every kernel of the kernel set. A new family adds its list here.
    public static var all: [KernelSpec] {
        copyKernels + elementwiseKernels + reduceKernels + gemmKernels + randomKernels
            + convKernels + convProductKernels + normKernels + backwardKernels + attentionKernels + codebookKernels + optimKernels
    }
}
