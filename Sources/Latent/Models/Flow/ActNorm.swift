import Foundation
import LatentCompute

/// Glow's activation normalisation: y = (x + bias)·exp(logs) per channel, log-det H·W·Σ logs.
///
/// Data-dependent initialisation: the first forward pass in training mode sets bias = −mean and
/// logs = −log(std + 1e-6) of that batch per channel, so its output has zero mean and unit
/// variance, and sets the buffer `initialized` (saved with the weights, so a resumed or loaded
/// model is not initialised again).
public final class ActNorm: Module, FlowLayer {
    public let bias: Tensor
    public let logs: Tensor
    /// 1 once the data-dependent initialisation ran, else 0 ([1]).
    public let initialized: Tensor
    /// Caches `initialized` once it reads 1, so steady-state passes do not read the device.
    private var knownInitialized = false
    /// In data-parallel training: the ranks whose first batches the initialisation pools, so every
    /// rank starts from the same statistics of the whole global batch.
    var group: (any ProcessGroup)?

    public init(channels: Int, initializer: ParameterInitializer) throws {
        bias = try initializer.constant([1, channels, 1, 1], 0)
        logs = try initializer.constant([1, channels, 1, 1], 0)
        initialized = try Tensor.zeros([1], on: initializer.device)
    }

    public override var localParameters: [(String, Tensor)] { [("bias", bias), ("logs", logs)] }
    public override var localBuffers: [(String, Tensor)] { [("initialized", initialized)] }

    /// Whether the data-dependent initialisation has run (reads the buffer until it says yes).
    public func isInitialized() throws -> Bool {
        if !knownInitialized { knownInitialized = try initialized.item() != 0 }
        return knownInitialized
    }

    public func forward(_ x: Tensor) throws -> (y: Tensor, logDet: Tensor) {
        if training, !(try isInitialized()) { try initialize(from: x) }
        let y = try (x + bias) * logs.exp()
        let logDet = try logs.sum().affine(scale: Float(x.shape[2] * x.shape[3]))
        return (y, try repeatedLogDet(logDet, images: x.shape[0]))
    }

    public func inverse(_ y: Tensor) throws -> Tensor {
        try y * logs.neg().exp() - bias
    }

    /// Sets bias and logs from the per-channel mean and standard deviation (population) of `x`.
    func initialize(from x: Tensor) throws {
        let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let values = try x.toArray()
        // Per channel: sum and sum of squares, then the count; pooled over the ranks when data-parallel.
        var moments = [Double](repeating: 0, count: 2 * c + 1)
        for channel in 0..<c {
            for image in 0..<n {
                let base = (image * c + channel) * plane
                for i in base..<(base + plane) {
                    let v = Double(values[i])
                    moments[channel] += v
                    moments[c + channel] += v * v
                }
            }
        }
        moments[2 * c] = Double(n * plane)
        if let group, group.size > 1 {
            moments = try group.allReduceSum(moments.map { Float($0) }).map { Double($0) }
        }
        var shift = [Float](repeating: 0, count: c), logScale = [Float](repeating: 0, count: c)
        for channel in 0..<c {
            let count = moments[2 * c]
            let mean = moments[channel] / count
            let std = max(moments[c + channel] / count - mean * mean, 0).squareRoot()
            shift[channel] = Float(-mean)
            logScale[channel] = Float(-Foundation.log(std + 1e-6))
        }
        try bias.assign(shift)
        try logs.assign(logScale)
        try initialized.assign([1])
        knownInitialized = true
    }
}
