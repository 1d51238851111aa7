/// Generated samples as a `.safetensors` file: tensor `samples` (N×C×H×W, F32), optional tensor
/// `labels` (N, I32: the class each sample was conditioned on), and metadata `format` =
/// "latent-samples", `value_min` / `value_max` (the range the pixel values are meant in, e.g. -1
/// and 1), plus any extra keys (model, step, sampler, seed …).
public struct SampleFile: Sendable, Equatable {
    public var samples: [Float]
    public var shape: [Int]
    public var range: ClosedRange<Float>
    public var labels: [Int32]?
    public var extra: [String: String]

    public init(samples: [Float], shape: [Int], range: ClosedRange<Float>, labels: [Int32]? = nil, extra: [String: String] = [:]) {
        self.samples = samples
        self.shape = shape
        self.range = range
        self.labels = labels
        self.extra = extra
    }

    /// Writes atomically. Throws on inconsistent shapes.
    public func write(to path: String) throws {
        guard shape.count == 4 else { throw ComputeError.shapeMismatch("samples must be N×C×H×W, got \(shape)") }
        var tensors = ["samples": try SafeTensor(floats: samples, shape: shape)]
        if let labels {
            guard labels.count == shape[0] else {
                throw ComputeError.shapeMismatch("\(labels.count) labels for \(shape[0]) samples")
            }
            tensors["labels"] = try SafeTensor(int32s: labels, shape: [labels.count])
        }
        var metadata = extra
        metadata["format"] = "latent-samples"
        metadata["value_min"] = String(range.lowerBound)
        metadata["value_max"] = String(range.upperBound)
        try SafeTensors(tensors: tensors, metadata: metadata).write(to: path)
    }

    /// Reads and validates a samples file.
    public static func read(_ path: String) throws -> SampleFile {
        let file = try SafeTensors.read(path)
        let metadata = file.metadata ?? [:]
        guard let tensor = file["samples"], tensor.shape.count == 4 else {
            throw FileError(.malformed, path: path, "no N×C×H×W tensor 'samples'")
        }
        guard let lo = metadata["value_min"].flatMap(Float.init), let hi = metadata["value_max"].flatMap(Float.init), lo < hi else {
            throw FileError(.malformed, path: path, "metadata value_min/value_max missing or not an increasing pair of numbers")
        }
        var labels: [Int32]? = nil
        if let labelTensor = file["labels"] {
            guard labelTensor.shape == [tensor.shape[0]] else {
                throw FileError(.mismatch, path: path, "'labels' has shape \(labelTensor.shape), expected [\(tensor.shape[0])]")
            }
            labels = try labelTensor.int32s()
        }
        let extra = metadata.filter { !["format", "value_min", "value_max"].contains($0.key) }
        return SampleFile(samples: try tensor.floats(), shape: tensor.shape, range: lo...hi, labels: labels, extra: extra)
    }
}
