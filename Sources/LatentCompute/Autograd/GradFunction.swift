/// The backward rule of one recorded operation: its inputs and a function from the gradient of
/// its output to the gradients of those inputs (nil where an input needs none).
public final class GradFunction: Sendable {
    public let name: String
    public let inputs: [Tensor]
    let backward: @Sendable (Tensor) throws -> [Tensor?]

    init(name: String, inputs: [Tensor], backward: @escaping @Sendable (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations record backward rules. Recording is on by default; `withoutGrad` turns it off
/// for a scope (inference, optimizer updates, the backward pass itself), which also lets
/// activations be freed as soon as they are no longer used.
public enum GradMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording gradients.
public func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// A parameter: the same data, marked as a leaf whose gradient `backward()` reports.
    public func requiringGrad() -> Tensor {
        Tensor(shape: shape, dtype: dtype, device: device, buffer: buffer, requiresGrad: true)
    }

    /// The same data cut off from the graph (the stop-gradient sg[·] of theory.md).
    public func detached() -> Tensor {
        Tensor(shape: shape, dtype: dtype, device: device, buffer: buffer)
    }

    /// Attaches a backward rule to `result` when recording is on and any input requires a gradient.
    /// The rule is called with the output gradient and returns one gradient per input, shaped like it.
    static func record(
        _ result: Tensor, _ name: String, _ inputs: [Tensor],
        backward: @escaping @Sendable (Tensor) throws -> [Tensor?]
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: \.requiresGrad) else { return result }
        return Tensor(
            shape: result.shape, dtype: result.dtype, device: result.device, buffer: result.buffer,
            gradFunction: GradFunction(name: name, inputs: inputs, backward: backward))
    }
}
