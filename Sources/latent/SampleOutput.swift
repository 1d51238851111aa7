import Foundation

/// Where `--out` puts drawn samples. A path ending in `.png` names the grid itself, and the raw
/// samples go beside it with the same stem (`grid.png` and `grid.safetensors`); any other path is a
/// folder that gets `samples.png` and `samples.safetensors`.
struct SampleOutput: CustomStringConvertible {
    let grid: String
    let tensors: String
    let folder: String

    init(_ out: String) {
        if out.lowercased().hasSuffix(".png") {
            let stem = String(out.dropLast(4))
            grid = out
            tensors = stem + ".safetensors"
            let parent = (out as NSString).deletingLastPathComponent
            folder = parent.isEmpty ? "." : parent
        } else {
            grid = out + "/samples.png"
            tensors = out + "/samples.safetensors"
            folder = out
        }
    }

    /// Creates the folder, or fails with a one-line error before any sampling starts.
    func prepare() throws { try prepareOutput(folder) }

    var description: String { "\(grid) and \(tensors)" }
}
