import Foundation

/// Checkpoints shipped in the repository's models/ folder, found relative to the current folder
/// (as `latent demo` looks for them) or else above the `latent` binary, so .build/release/latent
/// finds them when run from elsewhere.
enum ShippedModels {
    /// The FID-FMNIST classifier.
    static let classifier = "models/fmnist-classifier/checkpoint.safetensors"
    /// The diffusion model `latent demo`, `latent sample` and `latent bench sample` use by default.
    static let ddpm = ["models/fmnist-ddpm/checkpoint.safetensors"]
    static let vae = ["models/fmnist-vae/checkpoint.safetensors"]
    /// The latent diffusion model (DiT denoiser); preferred by `latent sample` and `latent demo` when shipped.
    static let ldm = ["models/fmnist-ldm/checkpoint.safetensors"]
    static let autoencoder = ["models/fmnist-autoencoder/checkpoint.safetensors"]
    static let vqvae = ["models/fmnist-vq/checkpoint.safetensors"]

    /// The first existing `relativePath` under the current folder or a folder above the binary.
    static func locate(_ relativePath: String) -> String? {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: relativePath) { return relativePath }
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent(relativePath).path
            if fileManager.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    /// The first of `candidates` that `locate` finds.
    static func find(_ candidates: [String]) -> String? {
        candidates.lazy.compactMap(locate).first
    }
}
