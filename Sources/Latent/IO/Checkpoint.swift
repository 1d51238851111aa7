/// The state of the random stream a model draws from: noise is indexed by (seed, offset), so these
/// two numbers let a resumed run draw exactly the noise an uninterrupted run would have drawn.
public struct RandomState: Sendable, Equatable {
    public var seed: UInt64
    /// How many counter values the run has used so far.
    public var offset: UInt64

    public init(seed: UInt64, offset: UInt64 = 0) {
        self.seed = seed
        self.offset = offset
    }
}

/// A training or sampling checkpoint: one `.safetensors` file that alone suffices to sample
/// (weights + model config) or to resume training (plus optimizer state, step, RNG and data
/// position).
///
/// Layout inside the file:
/// - weights under their own names (the PyTorch `state_dict` keys, e.g. `down.0.0.conv1.weight`);
/// - optimizer state under `optimizer.` + name (e.g. `optimizer.exp_avg.down.0.0.conv1.weight`); the
///   trainer also keeps the weight EMA there (`optimizer.ema.` + weight name) and the model's training
///   state (`optimizer.model_state.` + name, e.g. the VQ-VAE's `vq.steps_since_used`);
/// - metadata (all strings): `format` = "latent-checkpoint", `format_version`, `model_type`,
///   `model_config` (a JSON object), `step`, `rng_seed`, `rng_offset`, and `epoch` + `batch` when a
///   data position is stored; any other keys are kept in `extra`.
public struct Checkpoint: Sendable, Equatable {
    /// The version this build writes; files with a larger version are refused.
    public static let currentFormatVersion = 1
    /// Name prefix of optimizer-state tensors.
    public static let optimizerPrefix = "optimizer."
    static let reservedKeys: Set<String> = [
        "format", "format_version", "model_type", "model_config", "step", "rng_seed", "rng_offset", "epoch", "batch",
    ]

    public var weights: [String: SafeTensor]
    /// Optimizer state, keyed without the `optimizer.` prefix.
    public var optimizerState: [String: SafeTensor]
    /// Which model the weights belong to (e.g. "vae", "vqvae", "ddpm").
    public var modelType: String
    /// The model's hyper-parameters as a JSON object (the model layer owns its schema).
    public var modelConfig: String
    /// Optimizer steps taken.
    public var step: Int
    public var rng: RandomState
    /// Where the data loader stands (the next batch to draw), for an exact resume.
    public var dataPosition: BatchPosition?
    /// Other metadata (must not use the reserved keys above).
    public var extra: [String: String]
    /// The file's format version (`currentFormatVersion` for new checkpoints).
    public private(set) var formatVersion: Int = Checkpoint.currentFormatVersion

    public init(
        weights: [String: SafeTensor], optimizerState: [String: SafeTensor] = [:],
        modelType: String, modelConfig: String = "{}", step: Int = 0, rng: RandomState,
        dataPosition: BatchPosition? = nil, extra: [String: String] = [:]
    ) {
        self.weights = weights
        self.optimizerState = optimizerState
        self.modelType = modelType
        self.modelConfig = modelConfig
        self.step = step
        self.rng = rng
        self.dataPosition = dataPosition
        self.extra = extra
    }

    /// The checkpoint as a tensor set with metadata. Throws on clashing names or metadata keys.
    public func safeTensors() throws -> SafeTensors {
        var tensors = [String: SafeTensor]()
        for (name, tensor) in weights {
            guard !name.hasPrefix(Self.optimizerPrefix) else {
                throw ComputeError.invalidArgument("weight name '\(name)' uses the reserved prefix '\(Self.optimizerPrefix)'")
            }
            tensors[name] = tensor
        }
        for (name, tensor) in optimizerState { tensors[Self.optimizerPrefix + name] = tensor }
        var metadata = extra
        for key in extra.keys where Self.reservedKeys.contains(key) {
            throw ComputeError.invalidArgument("extra metadata key '\(key)' is reserved")
        }
        metadata["format"] = "latent-checkpoint"
        metadata["format_version"] = String(formatVersion)
        metadata["model_type"] = modelType
        metadata["model_config"] = modelConfig
        metadata["step"] = String(step)
        metadata["rng_seed"] = String(rng.seed)
        metadata["rng_offset"] = String(rng.offset)
        if let dataPosition {
            metadata["epoch"] = String(dataPosition.epoch)
            metadata["batch"] = String(dataPosition.batch)
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Writes atomically: an interrupted or failed write leaves the previous checkpoint intact.
    public func write(to path: String) throws {
        try safeTensors().write(to: path)
    }

    /// Reads and validates a checkpoint (file structure, then the metadata fields).
    public static func read(_ path: String) throws -> Checkpoint {
        try Checkpoint(SafeTensors.read(path), path: path)
    }

    /// Interprets a tensor set; `path` labels errors.
    public init(_ file: SafeTensors, path: String) throws {
        let metadata = file.metadata ?? [:]
        func field(_ key: String) throws -> String {
            guard let value = metadata[key] else {
                throw FileError(.malformed, path: path, "checkpoint metadata lacks \"\(key)\"")
            }
            return value
        }
        func number<T: FixedWidthInteger>(_ key: String, _: T.Type) throws -> T {
            let text = try field(key)
            guard let value = T(text), value >= 0 else {
                throw FileError(.malformed, path: path, "checkpoint metadata \"\(key)\" is \"\(text)\", not a non-negative integer")
            }
            return value
        }
        guard metadata["format"] == "latent-checkpoint" else {
            throw FileError(.malformed, path: path, "not a Latent checkpoint (metadata \"format\" is not \"latent-checkpoint\")")
        }
        let version = try number("format_version", Int.self)
        guard version <= Self.currentFormatVersion else {
            throw FileError(
                .unsupported, path: path,
                "checkpoint format version \(version) is newer than this build reads (\(Self.currentFormatVersion)); update Latent")
        }
        let config = try field("model_config")
        guard case .success(.object) = JSONValue.parse(ArraySlice(config.utf8)) else {
            throw FileError(.malformed, path: path, "checkpoint metadata \"model_config\" is not a JSON object")
        }
        var position: BatchPosition? = nil
        if metadata["epoch"] != nil || metadata["batch"] != nil {
            position = BatchPosition(epoch: try number("epoch", Int.self), batch: try number("batch", Int.self))
        }
        var weights = [String: SafeTensor]()
        var optimizer = [String: SafeTensor]()
        for (name, tensor) in file.tensors {
            if name.hasPrefix(Self.optimizerPrefix) {
                optimizer[String(name.dropFirst(Self.optimizerPrefix.count))] = tensor
            } else {
                weights[name] = tensor
            }
        }
        self.init(
            weights: weights, optimizerState: optimizer, modelType: try field("model_type"), modelConfig: config,
            step: try number("step", Int.self),
            rng: RandomState(seed: try number("rng_seed", UInt64.self), offset: try number("rng_offset", UInt64.self)),
            dataPosition: position, extra: metadata.filter { !Self.reservedKeys.contains($0.key) })
        self.formatVersion = version
    }

    /// Checks the weights against a model's expected names and shapes; throws a `.mismatch` error
    /// listing every missing, unexpected and wrongly shaped tensor.
    public func checkWeights(against expected: [String: [Int]], path: String) throws {
        try SafeTensors(tensors: weights).check(against: expected).throwIfAny(path: path)
    }
}
