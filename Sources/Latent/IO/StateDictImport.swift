import LatentCompute

/// A plain PyTorch `state_dict` saved with `safetensors.torch.save_file` (PyTorch's parameter names,
/// no Latent metadata) turned into a Latent checkpoint, with the strictness of PyTorch's
/// `load_state_dict(strict=True)`: every expected tensor present with its shape, nothing else.
public enum StateDictImport {
    /// The element types accepted; F16 and BF16 are widened to F32.
    public static let acceptedTypes: [SafeTensorDType] = [.f32, .f16, .bf16]

    /// A checkpoint (step 0, no optimizer state) of model `modelType` with configuration `configJSON`
    /// (nil: the configuration a `latent export` file carries for that model type, else the shipped
    /// model's configuration) holding the weights of `file`. Throws one error that
    /// lists every missing, unexpected and wrongly shaped tensor and every tensor of another element
    /// type; `path` labels it.
    public static func checkpoint(
        from file: SafeTensors, path: String, modelType: String,
        configJSON: String? = nil
    ) throws -> Checkpoint {
        let type = try ModelRegistry.type(named: modelType)
        let exported = file.metadata?[Checkpoint.exportedModelTypeKey] == modelType ? file.metadata?["model_config"] : nil
        let config = configJSON ?? exported ?? ShippedConfigurations.byModelType[modelType] ?? "{}"
        // A CPU model only to learn the expected names and shapes (and to validate the config).
        let model = try type.init(configJSON: config, device: CPUDevice.shared, seed: 0)
        let expected = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        let report = file.check(against: expected)
        var problems = report.isEmpty ? [] : [report.description]
        let badTypes = file.tensors.filter { !acceptedTypes.contains($0.value.dtype) }.keys.sorted()
        if !badTypes.isEmpty {
            let list = badTypes.map { "'\($0)' is \(file.tensors[$0]!.dtype.rawValue)" }.joined(separator: ", ")
            problems.append("element types other than F32, F16 or BF16: \(list)")
        }
        guard problems.isEmpty else {
            let hint =
                configJSON == nil && exported == nil
                ? " (the shipped \(modelType) configuration; pass --config if the weights are of another size)"
                : " (for the configuration \(config))"
            throw FileError(.mismatch, path: path, "does not fit a \(modelType) model\(hint): " + problems.joined(separator: "; "))
        }
        var weights = [String: SafeTensor]()
        for (name, tensor) in file.tensors {
            weights[name] = tensor.dtype == .f32 ? tensor : try SafeTensor(floats: tensor.floats(), shape: tensor.shape)
        }
        return Checkpoint(
            weights: weights, modelType: modelType, modelConfig: model.configJSON, rng: RandomState(seed: 0),
            extra: ["imported_from": "state_dict"])
    }
}
