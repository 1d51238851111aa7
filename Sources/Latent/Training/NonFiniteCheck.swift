import LatentCompute

/// Names the tensor that made a training step non-finite. The step itself is checked on the
/// device without a host read (`GradientSums.finiteProbe` folds every gradient into the loss:
/// loss + 0·Σᵢ sum(gᵢ) is the loss exactly when everything is finite, NaN otherwise), and
/// `DeviceStepControl` decides there; only when a read finds a failed step are tensors read back
/// here to name the first bad one.
enum NonFiniteCheck {
    /// Names the first non-finite tensor: a parameter (the cause when an earlier step already
    /// blew up), else the loss itself (an activation overflowed), else a gradient.
    static func diagnose(loss: Tensor, gradients: Gradients, parameters: [(String, Tensor)]) throws -> String {
        for (name, p) in parameters where try !allFinite(p) {
            return "parameter \(name) holds \(try firstNonFinite(p))"
        }
        let value = try loss.item()
        if !value.isFinite { return "the loss (an activation) is \(value); all parameters are finite" }
        for (name, p) in parameters {
            guard let g = gradients[p], try !allFinite(g) else { continue }
            return "the gradient of \(name) holds \(try firstNonFinite(g)) (loss \(value))"
        }
        return "a gradient sum overflowed (loss \(value)); every element is finite"
    }

    /// The culprit of a failed step whose gradients are gone (an earlier step than the last):
    /// a parameter, else its loss, else a gradient (not named any more).
    static func diagnose(loss: Float, parameters: [(String, Tensor)]) throws -> String {
        for (name, p) in parameters where try !allFinite(p) {
            return "parameter \(name) holds \(try firstNonFinite(p))"
        }
        if !loss.isFinite { return "the loss (an activation) is \(loss); all parameters are finite" }
        return "a gradient was not finite (loss \(loss)); log every step (--log-every 1) to have it named"
    }

    private static func allFinite(_ t: Tensor) throws -> Bool {
        try t.toArray().allSatisfy(\.isFinite)
    }

    private static func firstNonFinite(_ t: Tensor) throws -> String {
        let values = try t.toArray()
        let index = values.firstIndex { !$0.isFinite } ?? 0
        return "\(values[index]) at element \(index) of \(values.count)"
    }
}
