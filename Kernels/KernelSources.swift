/// The OpenCL C sources of `Kernels/*.cl`, embedded at build time by the EmbedKernels plugin.
/// `files` maps a family name ("elementwise", "gemm", ...) to its source text.
public enum KernelSources {
    /// The source of one kernel family; nil when no such file exists.
    public static func source(family: String) -> String? { files[family] }
}
