/// The scratch budget of composed kernels in a scope. Composed convolutions size their chunks by the
/// device's `scratchBudgetBytes` unless a scope forces another budget, as the parity suite does so that
/// small convolutions run in chunks on every device, whatever its memory:
/// `ScratchBudget.$forcedBytes.withValue(64 << 10) { try device.conv2d(…) }`.
public enum ScratchBudget {
    /// The budget in bytes in force in this scope; nil: each device's own.
    @TaskLocal public static var forcedBytes: Int?
}
