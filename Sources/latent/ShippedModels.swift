import Foundation

/// Checkpoints shipped in the repository's models/ folder, found relative to the current folder
/// (as `latent demo` looks for them) or else above the `latent` binary, so .build/release/latent
/// finds them when run from elsewhere.
enum ShippedModels {
    /// The FID-FMNIST classifier.
    static let classifier = "models/fmnist-classifier/checkpoint.safetensors"

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
}
