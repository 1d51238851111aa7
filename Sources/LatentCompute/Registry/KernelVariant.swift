/// Which implementation of a kernel runs. A backend picks by its device type; the parity suite
/// forces each variant a kernel lists in turn (`KernelVariant.$forced`), so every variant is checked
/// on every device, whatever device the tests happen to have.
public enum KernelVariant: String, Sendable, CaseIterable {
    /// The backend's own choice for its device type.
    case native
    /// Shaped for CPUs: a row or a register block per work-item, no local memory (PoCL).
    case cpuShaped = "cpu"
    /// Shaped for GPUs: work-groups that stage tiles in local memory behind barriers.
    case gpuShaped = "gpu"
    /// A fused kernel computed by its composed default from primitive kernels (`PrimitivesOnlyDevice`).
    case composed

    /// The variant forced for kernels launched in this scope (`KernelVariant.$forced.withValue(.gpuShaped) { … }`);
    /// nil lets each backend choose. Only `cpuShaped` and `gpuShaped` change what a backend launches;
    /// `composed` is run through `PrimitivesOnlyDevice`.
    @TaskLocal public static var forced: KernelVariant?
}
