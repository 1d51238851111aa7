import Foundation
import LatentCompute

/// What `latent train ldm --autoencoder PATH` starts from: the LDM configuration with the
/// autoencoder's configuration, path and fingerprint filled in, and the autoencoder's weights.
public struct LatentDiffusionSetup {
    public let configJSON: String
    public let configuration: LatentDiffusionConfiguration
    public let autoencoderWeights: [String: (shape: [Int], values: [Float])]

    /// Reads the autoencoder checkpoint and merges it into the user's LDM config JSON. The denoiser's
    /// input sizes default to the autoencoder's latent shape; given sizes that differ are an error naming the file.
    public init(userConfigJSON: String, autoencoderPath: String, device: any Device) throws {
        let file = try Checkpoint.read(autoencoderPath)
        guard file.modelType == AutoencoderKL.modelType else {
            throw FileError(
                .mismatch, path: autoencoderPath,
                "holds a model of type \(file.modelType), not an autoencoder (train one with `latent train autoencoder`)")
        }
        guard var object = try? JSONSerialization.jsonObject(with: Data(userConfigJSON.utf8)) as? [String: Any] else {
            throw DiffusionError.invalidConfiguration("the LDM config must be a JSON object, not \(userConfigJSON)")
        }
        let autoencoder = try ModelRegistry.load(file, path: autoencoderPath, device: device)
        object["autoencoder"] = try JSONSerialization.jsonObject(with: Data(autoencoder.configJSON.utf8))
        object["autoencoder_checkpoint"] = autoencoderPath
        object["autoencoder_fnv1a64"] = try FileFingerprint.of(file: autoencoderPath)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        do {
            configuration = try LatentDiffusionConfiguration(json: json)
        } catch let DiffusionError.invalidConfiguration(message) {
            throw FileError(.mismatch, path: autoencoderPath, message)
        }
        configJSON = configuration.json
        var weights: [String: (shape: [Int], values: [Float])] = [:]
        for (name, tensor) in autoencoder.stateDict() { weights[name] = (tensor.shape, try tensor.toArray()) }
        autoencoderWeights = weights
    }
}
