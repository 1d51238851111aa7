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

    /// Steps until `configuration.steps`, calling `report` after each; `report` returns false to stop early.
    public func run(report: (StepReport) throws -> Bool) throws {
        let batches = loader.batches(from: position)
        while step < configuration.steps {
            guard let batch = try batches.nextBatch() else { break }
            let result = try trainStep(on: batch)
            if try !agreeToContinue(report(result)) { break }
        }
    }

    /// One optimizer step on `batch`, which must be the batch at `position` (the global batch when
    /// data parallel: this rank computes on its shard, then gradients, loss and metrics are averaged).
    public func trainStep(on batch: Batch) throws -> StepReport {
        let shard = BatchShard(rank: group.rank, of: group.size, total: batch.shape[0])
        let part = group.size > 1 ? batch.rows(shard) : batch
        model.train()
        noise.shard = group.size > 1 ? shard : nil
        let output: TrainingLoss
        do {
            defer { noise.shard = nil }
            output = try model.trainingLoss(batch: part, device: device, noise: noise)
        }
        let lossTensor = try lossTransform?(step + 1, output.loss) ?? output.loss
        var gradients = try lossTensor.backward()
        let parameters = model.namedParameters()
        // One host read per step: the loss, the metrics and (with --clip) every gradient's squared
        // norm, gathered on the device first. When bad steps may be skipped, the gradients are
        // folded into the loss on the device (NaN if any is not finite), so no bad update is applied;
        // otherwise a bad update shows in the next step's loss, and `checkpoint()` refuses to
        // save non-finite weights, so the last good checkpoint survives either way. Data parallel
        // reads the squared norms after averaging the gradients, and the metrics as it averages them.
        let alone = group.size == 1
        let lossScalar =
            configuration.skipNonFinite > 0
            ? try NonFiniteCheck.probe(loss: lossTensor, gradients: gradients, parameters: parameters)
            : lossTensor
        let squares = alone && configuration.gradientClip != nil ? try squaredGradientNorms(gradients, parameters: parameters) : []
        let metricTensors = alone ? output.metrics.map(\.1) : []
        let scalars = try Tensor.readScalars([lossScalar] + metricTensors + squares)
        var loss = scalars[0]
        var averagedMetrics: [(String, Float)]? =
            alone ? Array(zip(output.metrics.map(\.0), scalars[1..<(1 + metricTensors.count)])) : nil
        if group.size > 1 {
            // The average is NaN when any rank's is, so every rank takes the same decision below.
            (loss, averagedMetrics) = try averageAcrossRanks(
                &gradients, parameters: parameters, loss: loss,
                metrics: output.metrics, weight: shard.weight)
        }
        guard loss.isFinite else {
            let culprit = try NonFiniteCheck.diagnose(loss: lossTensor, gradients: gradients, parameters: parameters)
            guard skippedNonFinite < configuration.skipNonFinite else {
                throw TrainingError.nonFiniteLoss(step: step + 1, culprit: culprit, skipped: skippedNonFinite, lastCheckpoint: nil)
            }
            skippedNonFinite += 1
            step += 1
            position = batch.next
            var report = StepReport(step: step, loss: loss, metrics: [], learningRate: 0, gradientNorm: nil)
            report.skippedNonFinite = true
            return report
        }
        var norm: Float?
        if let clip = configuration.gradientClip {
            norm =
                alone
                ? try clipGradientNorm(
                    &gradients, parameters: parameters, maxNorm: clip, squaredNorms: Array(scalars.suffix(squares.count)))
                : try clipGradientNorm(&gradients, parameters: parameters, maxNorm: clip)
        }
        let rate = configuration.schedule.rate(atStep: step + 1)
        optimizer.learningRate = rate
        try withoutGrad {
            try optimizer.step(parameters, gradients: gradients)
            try model.afterOptimizerStep()
            try ema?.update(parameters)
        }
        step += 1
        position = batch.next
        let metrics = try averagedMetrics ?? output.metrics.map { ($0.0, try $0.1.item()) }
        return StepReport(step: step, loss: loss, metrics: metrics, learningRate: rate, gradientNorm: norm)
    }

    // MARK: checkpoints

    static let emaPrefix = "ema."
    /// Prefix of the model's training state (`namedTrainingState`, e.g. idle-code counters) in the optimizer state.
    static let modelStatePrefix = "model_state."

    /// Everything needed to sample (the weights, or the EMA weights under `ema.`) or to resume.
    public func checkpoint() throws -> Checkpoint {
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
        var state: [String: SafeTensor] = [:]
        for (name, t) in optimizer.state { state[name] = try SafeTensor(t) }
        for (name, t) in ema?.shadow ?? [] { state[Trainer.emaPrefix + name] = try SafeTensor(t) }
        for (name, t) in model.namedTrainingState() { state[Trainer.modelStatePrefix + name] = try SafeTensor(t) }
        return Checkpoint(
            weights: weights, optimizerState: state, modelType: type(of: model).modelType,
            modelConfig: model.configJSON, step: step,
            rng: RandomState(seed: noise.seed, offset: noise.offset), dataPosition: position,
            extra: [
                "optimizer_step": "\(optimizer.stepCount)", "training": trainingJSON,
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
        model.resumeTraining(atStep: step)
        position = checkpoint.dataPosition ?? .start
    }

    var trainingJSON: String {
        let c = configuration
        let object: [String: Any] = [
            "steps": c.steps, "batch_size": c.batchSize, "lr": c.learningRate, "warmup": c.warmupSteps,
            "cosine": c.cosineDecay, "weight_decay": c.weightDecay, "clip": c.gradientClip ?? 0,
            "ema": c.emaDecay ?? 0, "seed": c.seed,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
