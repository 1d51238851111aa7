/// A Latent checkpoint's weights as a plain PyTorch `state_dict`: F32 tensors under their PyTorch
/// names, nothing else, so `safetensors.torch.load_file` + `load_state_dict(strict=True)` loads it
/// into the model's twin (`python/latent_torch`).
extension Checkpoint {
    /// The metadata key of an exported file that names the model type (the configuration is under
    /// "model_config"); PyTorch ignores both.
    public static let exportedModelTypeKey = "latent_model_type"

    /// The weights, or with `ema` the weight EMA the trainer kept (`latent train --ema`) over the
    /// weights it covers; throws when `ema` is asked of a checkpoint without one.
    public func stateDict(ema: Bool = false, path: String) throws -> SafeTensors {
        var tensors = weights
        if ema {
            let shadow = optimizerState.filter { $0.key.hasPrefix(Trainer.emaPrefix) }
            guard !shadow.isEmpty else {
                throw FileError(.mismatch, path: path, "has no EMA weights (it was trained without --ema); export without --ema")
            }
            for (name, tensor) in shadow { tensors[String(name.dropFirst(Trainer.emaPrefix.count))] = tensor }
        }
        for (name, tensor) in tensors where tensor.dtype != .f32 {
            tensors[name] = try SafeTensor(floats: tensor.floats(), shape: tensor.shape)
        }
        return SafeTensors(
            tensors: tensors,
            metadata: [
                "format": "pt", Self.exportedModelTypeKey: modelType,
                "model_config": modelConfig,
            ])
    }
}
