import LatentCompute

/// The model families `latent train`, `sample` and `eval` know, by their command-line names (the
/// FID-FMNIST classifier among them, so it trains, checkpoints and resumes the same way).
public enum ModelRegistry {
    public static var types: [any GenerativeModel.Type] {
        [
            ConvVAE.self, VQVAE.self, DDPMModel.self, ConvClassifier.self, AutoencoderKL.self, DiTDiffusionModel.self,
            LatentDiffusionModel.self, NormalizingFlow.self,
        ]
    }

    public static var names: [String] { types.map { $0.modelType } }

    /// The model types that sample images by diffusion.
    public static var diffusionTypes: Set<String> { [DDPMModel.modelType, DiTDiffusionModel.modelType, LatentDiffusionModel.modelType] }

    public static func type(named name: String) throws -> any GenerativeModel.Type {
        guard let type = types.first(where: { $0.modelType == name }) else {
            throw ComputeError.invalidArgument("unknown model '\(name)'; choose one of \(names.joined(separator: ", "))")
        }
        return type
    }

    /// Rebuilds the model a checkpoint holds and loads its weights (the EMA weights when present
    /// and `preferEMA`, as diffusion sampling wants).
    public static func load(_ checkpoint: Checkpoint, path: String, device: any Device, preferEMA: Bool = true) throws -> any GenerativeModel {
        let type = try type(named: checkpoint.modelType)
        let model = try type.init(configJSON: checkpoint.modelConfig, device: device, seed: 0)
        var weights = checkpoint.weights
        if preferEMA {
            for (name, tensor) in checkpoint.optimizerState where name.hasPrefix(Trainer.emaPrefix) {
                weights[String(name.dropFirst(Trainer.emaPrefix.count))] = tensor
            }
        }
        let expected = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        try checkpoint.checkWeights(against: expected, path: path)
        try model.load(weights.mapValues { (shape: $0.shape, values: try $0.floats()) })
        model.eval()
        return model
    }
}
