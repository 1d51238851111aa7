import Foundation

/// Checkpoints shipped in the repository's models/ folder, found from the current directory or
/// next to the executable (.build/release/latent → ../../models).
enum ShippedModels {
    /// The diffusion model `latent demo` and `latent bench sample` use by default.
    static let ddpm = ["ddpm-fmnist/checkpoint.safetensors", "ddpm.safetensors"]
    static let vae = ["vae-fmnist/checkpoint.safetensors", "vae.safetensors"]

    static var folders: [String] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let besideBuild = executable.deletingLastPathComponent().appendingPathComponent("../../models").standardized.path
        return ["models", besideBuild]
    }

    /// The first of `candidates` (paths inside models/) that exists, as a path to open.
    static func find(_ candidates: [String]) -> String? {
        for folder in folders {
            for name in candidates {
                let path = (folder as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }
}
