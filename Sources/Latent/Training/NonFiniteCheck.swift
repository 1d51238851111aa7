import LatentCompute

/// Finds NaN and infinities in a training step without an extra host read per step.
///
/// `probe` folds every gradient into the loss on the device: loss + 0·Σᵢ sum(gᵢ) equals the loss
/// exactly when everything is finite (x + 0 = x) and is NaN as soon as one gradient element is
/// NaN or infinite (0·∞ = NaN). Reading that one scalar replaces the loss read the training loop
/// already makes, so checking gradients costs device reductions, not a synchronisation. Only when
/// the probe is not finite does `diagnose` read tensors back to name the first bad one.
enum NonFiniteCheck {
    /// The loss, or NaN when the loss or any gradient is not finite: a device scalar, read with
    /// the step's other scalars.
    static func probe(loss: Tensor, gradients: Gradients, parameters: [(String, Tensor)]) throws -> Tensor {
        try withoutGrad {
            var total = loss
            for (_, p) in parameters {
                guard let g = gradients[p] else { continue }
                total = try total + g.sum() * 0
            }
            return total
        }
    }

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

    private static func allFinite(_ t: Tensor) throws -> Bool {
        try t.toArray().allSatisfy(\.isFinite)
    }

    private static func firstNonFinite(_ t: Tensor) throws -> String {
        let values = try t.toArray()
        let index = values.firstIndex { !$0.isFinite } ?? 0
        return "\(values[index]) at element \(index) of \(values.count)"
    }
}
