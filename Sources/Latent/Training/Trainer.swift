import Foundation
import LatentCompute

/// Runs optimisation steps of a model on batches from a loader: loss, backward, optional clipping,
/// Adam(W), the model's post-step hook and an optional weight EMA. Its whole state (weights,
/// optimizer moments, EMA, the model's training state, noise offset, data position, step) goes
/// into a checkpoint, and a trainer restored from that checkpoint continues exactly as the
/// uninterrupted run would have.
public final class Trainer {
    public let model: any GenerativeModel
    public let configuration: TrainingConfiguration
    public let loader: BatchLoader
    public let device: any Device
    public let optimizer: Adam
    public private(set) var ema: ExponentialMovingAverage?
    public let noise: NoiseStream
    public private(set) var step = 0
    public private(set) var position = BatchPosition.start
    /// Steps skipped so far because the loss or a gradient was not finite (see `skipNonFinite`).
    public private(set) var skippedNonFinite = 0
    /// Fault injection for tests: transforms the loss of a (1-based) step before the backward pass.
    public var lossTransform: ((_ step: Int, _ loss: Tensor) throws -> Tensor)?
    /// The device-side decisions (created at the first step, from `step` and `skippedNonFinite`).
    var control: DeviceStepControl?
    /// The last step's values, still on the device until `readReport()`.
    var pending: PendingStep?
    /// The last step's loss and gradients, to name a non-finite tensor if that step failed.
    var lastGradients: (step: Int, loss: Tensor, gradients: Gradients)?
    /// The ranks training together (data parallel); a `SingleProcess` when alone.
    public let group: any ProcessGroup
    /// Time spent averaging gradients across the ranks (zero when alone).
    public internal(set) var gradientSync = GradientSyncTimes()

    /// A trainer on `loader`'s batches. With a `group` of several ranks, `configuration.batchSize`
    /// and the loader's batches are global: each rank trains on its `BatchShard` of every batch.
    public init(
        model: any GenerativeModel, configuration: TrainingConfiguration, loader: BatchLoader, device: any Device,
        group: any ProcessGroup = SingleProcess()
    ) throws {
        self.model = model
        self.configuration = configuration
        self.loader = loader
        self.device = device
        self.group = group
        if group.size > 1 { model.join(group) }
        optimizer = Adam(
            learningRate: configuration.learningRate, weightDecay: configuration.weightDecay,
            decoupled: configuration.weightDecay > 0)
        noise = NoiseStream(seed: configuration.seed &+ 0x5EED)
        ema = try configuration.emaDecay.map { try ExponentialMovingAverage(model.namedParameters(), decay: $0) }
    }

    /// Steps until `configuration.steps`, calling `report` after each; `report` returns false to
    /// stop early. The step's values are read from the device (one wait) only every
    /// `configuration.logEvery` steps and at the last step; other reports have `valuesRead` false.
    /// A non-finite step that stops the run throws at the first read after it.
    public func run(report: (StepReport) throws -> Bool) throws {
        let batches = loader.batches(from: position)
        while step < configuration.steps {
            guard let batch = try batches.nextBatch() else { break }
            try trainStep(on: batch)
            let read = step % max(configuration.logEvery, 1) == 0 || step == configuration.steps
            let result = try read ? readReport() : StepReport(unreadStep: step, learningRate: configuration.schedule.rate(atStep: step))
            if try !agreeToContinue(report(result)) { break }
        }
        // Steps since the last read may have failed: say so before the caller saves anything.
        if pending != nil { _ = try readReport() }
    }

    /// One optimizer step on `batch`, which must be the batch at `position` (the global batch when
    /// data parallel: this rank computes on its shard, then gradients, loss and metrics are averaged).
    ///
    /// Nothing is read back from the device (data parallel reads what it averages): the finiteness
    /// check, the skip decision, the clip factor and Adam's t stay on the device
    /// (`DeviceStepControl`), and `readReport()` reads this step's values when they are wanted.
    public func trainStep(on batch: Batch) throws {
        lastGradients = nil
        let shard = BatchShard(rank: group.rank, of: group.size, total: batch.shape[0])
        let part = group.size > 1 ? batch.rows(shard) : batch
        model.train()
        noise.shard = group.size > 1 ? shard : nil
        let output: TrainingLoss
        do {
            defer { noise.shard = nil }
            output = try model.trainingLoss(batch: part, device: device, noise: noise)
        }
        if step == 0, let ema {
            // The first forward pass may initialise weights from data (a flow's ActNorm, the
            // VQ-VAE's k-means codebook): the average starts from those, not the random ones.
            try ema.reset(to: model.namedParameters())
        }
        let lossTensor = try lossTransform?(step + 1, output.loss) ?? output.loss
        var gradients = try lossTensor.backward()
        let parameters = model.namedParameters()
        // When bad steps may be skipped, the gradients are folded into the loss on the device (NaN
        // if any is not finite), so no bad update is applied; otherwise a bad update shows in the
        // next step's loss, and `checkpoint()` refuses to save non-finite weights, so the last good
        // checkpoint survives either way. Data parallel checks the averaged loss and gradients.
        var loss = lossTensor
        var hostMetrics: [(String, Float)]?
        if group.size > 1 {
            // The average is NaN when any rank's is, so every rank takes the same decision.
            let averaged = try averageAcrossRanks(
                &gradients, parameters: parameters, loss: lossTensor.item(),
                metrics: output.metrics, weight: shard.weight)
            loss = try Tensor([averaged.loss], shape: [1], on: device)
            hostMetrics = averaged.metrics
        }
        let sums =
            configuration.skipNonFinite > 0 || configuration.gradientClip != nil
            ? try GradientSums(gradients, parameters: parameters, on: device) : nil
        // (With skipping off only the loss is checked, as before.)
        let probe = try configuration.skipNonFinite == 0 ? loss : sums.map { try loss.reshaped([1]) + $0.finiteProbe } ?? loss
        let control =
            try self.control
            ?? DeviceStepControl(
                step: step, skipped: skippedNonFinite, skipLimit: configuration.skipNonFinite, on: device)
        self.control = control
        var clip: (scale: Tensor, norm: Tensor)?
        if let maxNorm = configuration.gradientClip, let sums {
            clip = try control.clipScale(squaredNorm: sums.squaredNorm, maxNorm: maxNorm)
        }
        let decision = try control.decide(probe: probe, gradientScale: clip?.scale)
        let rate = configuration.schedule.rate(atStep: step + 1)
        optimizer.learningRate = rate
        try withoutGrad {
            try optimizer.step(parameters, gradients: gradients, gate: decision.gate)
            try model.afterOptimizerStep()
            if let ema {
                let decay = configuration.emaWarmup ? ema.warmedUpDecay(update: step) : ema.decay
                if configuration.skipNonFinite > 0 {
                    try ema.update(parameters, apply: decision.gate.apply, decay: decay)
                } else {
                    try ema.update(parameters, decay: decay)  // a failed step stops the run: its EMA is never saved
                }
            }
        }
        step += 1
        position = batch.next
        lastGradients = (step, lossTensor, gradients)
        pending = PendingStep(
            step: step, loss: probe, metrics: output.metrics, hostMetrics: hostMetrics, norm: clip?.norm,
            skipped: decision.skippedNow, learningRate: rate)
    }

    /// The last step's values, read from the device in one wait; throws `TrainingError.nonFiniteLoss`
    /// when a step since the last read failed (non-finite with no skips left), naming the step.
    public func readReport() throws -> StepReport {
        guard let pending, let control else { throw ComputeError.invalidArgument("readReport() before a training step") }
        let metricTensors = pending.hostMetrics == nil ? pending.metrics.map(\.1) : []
        let values = try Tensor.readScalars(
            [pending.loss.reshaped([1]), pending.skipped, control.skipped, control.halted, control.failedAt, control.failedLoss]
                + metricTensors + (pending.norm.map { [$0] } ?? []))
        self.pending = nil
        skippedNonFinite = Int(values[2])
        if values[3] != 0 { throw try failure(at: Int(values[4]), loss: values[5]) }
        if values[1] != 0 {
            var report = StepReport(step: pending.step, loss: values[0], metrics: [], learningRate: 0, gradientNorm: nil)
            report.skippedNonFinite = true
            return report
        }
        let metrics = pending.hostMetrics ?? Array(zip(pending.metrics.map(\.0), values[6..<(6 + metricTensors.count)]))
        return StepReport(
            step: pending.step, loss: values[0], metrics: metrics, learningRate: pending.learningRate,
            gradientNorm: pending.norm == nil ? nil : values.last)
    }

    /// Throws when a step failed since the last read (at checkpoints; one wait).
    func checkHealth() throws {
        guard let control else { return }
        let values = try Tensor.readScalars([control.skipped, control.halted, control.failedAt, control.failedLoss])
        skippedNonFinite = Int(values[0])
        if values[1] != 0 { throw try failure(at: Int(values[2]), loss: values[3]) }
    }

    /// The error for a step that failed: the first bad tensor named exactly when that step's
    /// gradients are still held (it was the last step), else from the weights and its loss.
    private func failure(at failedStep: Int, loss: Float) throws -> TrainingError {
        let parameters = model.namedParameters()
        let culprit: String
        if let last = lastGradients, last.step == failedStep {
            culprit = try NonFiniteCheck.diagnose(loss: last.loss, gradients: last.gradients, parameters: parameters)
        } else {
            culprit = try NonFiniteCheck.diagnose(loss: loss, parameters: parameters)
        }
        return TrainingError.nonFiniteLoss(step: failedStep, culprit: culprit, skipped: skippedNonFinite, lastCheckpoint: nil)
    }

    // MARK: checkpoints

    static let emaPrefix = "ema."
    /// Prefix of the model's training state (`namedTrainingState`, e.g. idle-code counters) in the optimizer state.
    static let modelStatePrefix = "model_state."

    /// Everything needed to sample (the weights, or the EMA weights under `ema.`) or to resume.
    public func checkpoint() throws -> Checkpoint {
        // (A step that failed since the last read throws here, after the weights are checked.)
        var weights: [String: SafeTensor] = [:]
        for (name, t) in model.stateDict() {
            let saved = try SafeTensor(t)
            // The values are on the host now anyway: never overwrite a good checkpoint with NaN.
            if saved.dtype == .f32, let bad = try saved.floats().first(where: { !$0.isFinite }) {
                throw TrainingError.nonFiniteLoss(
                    step: step, culprit: "parameter \(name) holds \(bad); not saved",
                    skipped: skippedNonFinite, lastCheckpoint: nil)
            }
            weights[name] = saved
        }
        try checkHealth()
        let optimizerStep = try optimizer.readStepCount()
        var state: [String: SafeTensor] = [:]
        for (name, t) in optimizer.state { state[name] = try SafeTensor(t) }
        for (name, t) in ema?.shadow ?? [] { state[Trainer.emaPrefix + name] = try SafeTensor(t) }
        for (name, t) in model.namedTrainingState() { state[Trainer.modelStatePrefix + name] = try SafeTensor(t) }
        return Checkpoint(
            weights: weights, optimizerState: state, modelType: type(of: model).modelType,
            modelConfig: model.configJSON, step: step,
            rng: RandomState(seed: noise.seed, offset: noise.offset), dataPosition: position,
            extra: [
                "optimizer_step": "\(optimizerStep)", "training": trainingJSON,
                "skipped_nonfinite": "\(skippedNonFinite)",
            ])
    }

    /// Restores weights, optimizer, EMA, the model's training state, noise and data position from a
    /// checkpoint of the same model. Training state missing from older checkpoints starts at zero.
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.modelType == type(of: model).modelType else {
            throw TrainingError.incompatibleCheckpoint(
                "the checkpoint holds a \(checkpoint.modelType) model, not \(type(of: model).modelType)")
        }
        try model.load(checkpoint.weights.mapValues { (shape: $0.shape, values: try $0.floats()) })
        var moments: [String: Tensor] = [:], modelState: [String: (shape: [Int], values: [Float])] = [:]
        for (name, t) in checkpoint.optimizerState {
            if name.hasPrefix(Trainer.modelStatePrefix) {
                modelState[String(name.dropFirst(Trainer.modelStatePrefix.count))] = (t.shape, try t.floats())
            } else if !name.hasPrefix(Trainer.emaPrefix) {
                moments[name] = try t.tensor(on: device)
            }
        }
        try model.loadTrainingState(modelState)
        optimizer.restore(moments, stepCount: Int(checkpoint.extra["optimizer_step"] ?? "") ?? checkpoint.step)
        if let ema {
            for (name, shadow) in ema.shadow {
                guard let saved = checkpoint.optimizerState[Trainer.emaPrefix + name] else {
                    throw TrainingError.incompatibleCheckpoint("the checkpoint has no EMA weights for \(name)")
                }
                try shadow.assign(saved.floats())
            }
        }
        noise.reset(offset: checkpoint.rng.offset)
        step = checkpoint.step
        skippedNonFinite = Int(checkpoint.extra["skipped_nonfinite"] ?? "") ?? 0
        (control, pending, lastGradients) = (nil, nil, nil)
        model.resumeTraining(atStep: step)
        position = checkpoint.dataPosition ?? .start
    }

    var trainingJSON: String {
        let c = configuration
        var object: [String: Any] = [
            "steps": c.steps, "batch_size": c.batchSize, "lr": c.learningRate, "warmup": c.warmupSteps,
            "cosine": c.cosineDecay, "weight_decay": c.weightDecay, "clip": c.gradientClip ?? 0,
            "ema": c.emaDecay ?? 0, "seed": c.seed,
        ]
        if c.emaWarmup { object["ema_warmup"] = true }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
