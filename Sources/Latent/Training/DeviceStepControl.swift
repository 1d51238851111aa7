import LatentCompute

/// The trainer's decisions about each step, taken on the device so a step never waits for it: is
/// the step finite, is it skipped (`skipNonFinite`) or does the run stop, and by how much are the
/// gradients clipped. Every value is a one-element Float tensor (whole numbers are exact up to 2²⁴);
/// the host reads them only at logging steps and checkpoints (`Trainer.readReport`).
///
/// Once a step fails (non-finite with no skips left), the state is `halted`: no later step changes
/// a weight, and the next read reports the failure with the step it happened at.
final class DeviceStepControl {
    /// Steps run so far (the trainer's `step` on the device), so a failure can say which one.
    let steps: Tensor
    /// Steps skipped because the loss or a gradient was not finite.
    let skipped: Tensor
    /// 1 once a step failed; no step applies after it.
    let halted: Tensor
    /// The step that failed (0: none) and its loss (or NaN probe).
    let failedAt: Tensor
    let failedLoss: Tensor
    private let zero: Tensor, one: Tensor
    /// `skipNonFinite` (nil when 0: the first non-finite step fails).
    private let skipLimit: Tensor?

    init(step: Int, skipped: Int, skipLimit: Int, on device: any Device) throws {
        steps = try Tensor([Float(step)], shape: [1], on: device)
        self.skipped = try Tensor([Float(skipped)], shape: [1], on: device)
        halted = try Tensor.zeros([1], on: device)
        failedAt = try Tensor.zeros([1], on: device)
        failedLoss = try Tensor.zeros([1], on: device)
        zero = try Tensor.zeros([1], on: device)
        one = try Tensor.full([1], value: 1, on: device)
        self.skipLimit = skipLimit > 0 ? try Tensor.full([1], value: Float(skipLimit), on: device) : nil
    }

    /// One step's decision from its `probe` (the loss, NaN when it or a checked gradient is not
    /// finite): the gate for the optimizer and the EMA, and whether this step was skipped.
    /// `gradientScale` is the clip factor (nil: 1).
    func decide(probe: Tensor, gradientScale: Tensor?) throws -> (gate: StepGate, skippedNow: Tensor) {
        try withoutGrad {
            let probe = try probe.reshaped([1])
            // x·0 is 0 for every finite x and NaN for NaN and ±∞.
            let bad = try (probe * 0).apply(.notEqual, zero)
            let live = try one - halted
            let badLive = try bad * live
            let skipNow: Tensor, failNow: Tensor
            if let skipLimit {
                let allowed = try skipped.apply(.less, skipLimit)
                skipNow = try badLive * allowed
                failNow = try badLive - skipNow
            } else {
                (skipNow, failNow) = (zero, badLive)
            }
            let apply = try live - badLive
            try steps.assignAxpby(1, steps, 1, one)
            if skipLimit != nil { try skipped.assignAxpby(1, skipped, 1, skipNow) }
            try failedAt.assignAxpby(1, failedAt, 1, failNow * steps)
            try failedLoss.assign(Tensor.select(failNow, probe, failedLoss))
            try halted.assignAxpby(1, halted, 1, failNow)
            return (StepGate(apply: apply, gradientScale: gradientScale ?? one), skipNow)
        }
    }

    /// min(1, maxNorm/(norm + 10⁻⁶)) where the norm is finite and above `maxNorm`, else 1: the
    /// factor `clipGradientNorm` applies, from the squared norm on the device.
    func clipScale(squaredNorm: Tensor, maxNorm: Float) throws -> (scale: Tensor, norm: Tensor) {
        try withoutGrad {
            let norm = try squaredNorm.reshaped([1]).sqrt()
            let limit = try Tensor.full([1], value: maxNorm, on: norm.device)
            let binds = try norm.apply(.greater, limit) * (norm * 0).apply(.equal, zero)
            let factor = try limit / (norm + 1e-6)
            return (try Tensor.select(binds, factor, one), norm)
        }
    }
}
