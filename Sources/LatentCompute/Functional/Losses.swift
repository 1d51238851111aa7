/// Losses and stochastic regularisers, differentiable through the tape.
extension Tensor {
    /// Mean squared error over all elements.
    public static func mseLoss(_ prediction: Tensor, _ target: Tensor) throws -> Tensor {
        guard prediction.shape == target.shape else {
            throw ComputeError.shapeMismatch("mseLoss of \(prediction.shape) and \(target.shape)")
        }
        return try (prediction - target).square().mean()
    }

    /// Binary cross-entropy with logits, summed over all elements (targets in [0, 1], soft allowed).
    public static func bceWithLogitsLoss(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        guard logits.shape == targets.shape else {
            throw ComputeError.shapeMismatch("bceWithLogitsLoss of \(logits.shape) and \(targets.shape)")
        }
        return try logits.binaryCrossEntropyWithLogits(targets).sum()
    }

    /// Cross-entropy of logits [N, C] against Int32 class labels [N], averaged over N.
    public static func crossEntropyLoss(_ logits: Tensor, labels: Tensor) throws -> Tensor {
        guard logits.rank == 2, labels.dtype == .int32, labels.shape == [logits.shape[0]] else {
            throw ComputeError.shapeMismatch("crossEntropyLoss needs logits [N, C] and int32 labels [N], got \(logits.shape) and \(labels.shape)")
        }
        let oneHot = try labels.oneHot(classes: logits.shape[1])
        return try (logits.logSoftmax() * oneHot).sum().affine(scale: -1 / Float(Swift.max(logits.shape[0], 1)))
    }

    /// KL(N(mu, exp(logvar)) ‖ N(0, I)) summed over all elements: −½ Σ (1 + logvar − mu² − exp(logvar)).
    public static func gaussianKL(mean mu: Tensor, logVariance logvar: Tensor) throws -> Tensor {
        guard mu.shape == logvar.shape else { throw ComputeError.shapeMismatch("gaussianKL of \(mu.shape) and \(logvar.shape)") }
        return try (logvar - mu.square() - logvar.exp()).affine(scale: 1, shift: 1).sum().affine(scale: -0.5)
    }

    /// Inverted dropout with probability p, its mask drawn from Philox at (seed, offset).
    public func dropout(probability p: Float, seed: UInt64, offset: UInt64) throws -> Tensor {
        guard p >= 0, p < 1 else { throw ComputeError.invalidArgument("dropout probability \(p) outside [0, 1)") }
        if p == 0 { return self }
        let out = try Tensor.empty(shape, on: device)
        try device.dropout(buffer, out.buffer, count: count, probability: p, seed: seed, offset: offset)
        return Tensor.record(out, "dropout", [self]) { g in
            // The same mask applied to the gradient.
            let gradIn = try Tensor.empty(g.shape, on: g.device)
            try g.device.dropout(g.buffer, gradIn.buffer, count: g.count, probability: p, seed: seed, offset: offset)
            return [gradIn]
        }
    }

    /// The straight-through estimator: the value of `quantized`, the gradient of self.
    public func straightThrough(_ quantized: Tensor) throws -> Tensor {
        try self + (quantized - self).detached()
    }
}
