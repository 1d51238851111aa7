import LatentCompute

/// An affine coupling layer: the first half of the channels x_a passes through and conditions a
/// small conv net (3×3 conv → ReLU → 1×1 conv → ReLU → 3×3 conv, the last zero-initialised) whose
/// output gives a shift t (its first half) and a raw scale (second half) for the other half x_b:
/// Glow y_b = (x_b + t)·sigmoid(raw + 2), RealNVP y_b = x_b·exp(tanh(raw)) + t. log|det| = Σ log s.
public final class AffineCoupling: Module, FlowLayer {
    public let scale: FlowCouplingScale
    public let net: Sequential
    public let half: Int

    public init(channels: Int, hidden: Int, scale: FlowCouplingScale, initializer: ParameterInitializer) throws {
        guard channels >= 2, channels % 2 == 0 else {
            throw ComputeError.invalidArgument("an affine coupling needs an even number of channels, not \(channels)")
        }
        self.scale = scale
        half = channels / 2
        let last = Conv2d(
            weight: try initializer.constant([channels, hidden, 3, 3], 0), bias: try initializer.constant([channels], 0),
            padding: 1)
        net = Sequential([
            try Conv2d(half, hidden, kernelSize: 3, padding: 1, initializer: initializer), Activation(.relu),
            try Conv2d(hidden, hidden, kernelSize: 1, initializer: initializer), Activation(.relu), last,
        ])
    }

    public override var children: [(String, Module)] { [("net", net)] }

    /// Shift t and log-scale log s for x_b, from x_a.
    func shiftAndLogScale(_ xa: Tensor) throws -> (shift: Tensor, logScale: Tensor, scale: Tensor) {
        let h = try net(xa)
        let shift = try h.slice(axis: 1, 0..<half)
        let raw = try h.slice(axis: 1, half..<(2 * half))
        switch scale {
        case .glow:
            let s = try (raw + 2).sigmoid()
            return (shift, try s.log(), s)
        case .realnvp:
            let logScale = try raw.tanh()
            return (shift, logScale, try logScale.exp())
        }
    }

    public func forward(_ x: Tensor) throws -> (y: Tensor, logDet: Tensor) {
        let xa = try x.slice(axis: 1, 0..<half), xb = try x.slice(axis: 1, half..<(2 * half))
        let (shift, logScale, s) = try shiftAndLogScale(xa)
        let yb = try scale == .glow ? (xb + shift) * s : xb * s + shift
        return (try Tensor.concat([xa, yb], axis: 1), try logScale.sumPerImage())
    }

    public func inverse(_ y: Tensor) throws -> Tensor {
        let ya = try y.slice(axis: 1, 0..<half), yb = try y.slice(axis: 1, half..<(2 * half))
        let (shift, _, s) = try shiftAndLogScale(ya)
        let xb = try scale == .glow ? yb / s - shift : (yb - shift) / s
        return try Tensor.concat([ya, xb], axis: 1)
    }
}

/// One step of flow: ActNorm → invertible 1×1 convolution → affine coupling.
public final class FlowStep: Module, FlowLayer {
    public let actnorm: ActNorm
    public let invconv: InvertibleConv1x1
    public let coupling: AffineCoupling

    public init(channels: Int, hidden: Int, scale: FlowCouplingScale, initializer: ParameterInitializer) throws {
        actnorm = try ActNorm(channels: channels, initializer: initializer)
        invconv = try InvertibleConv1x1(channels: channels, initializer: initializer)
        coupling = try AffineCoupling(channels: channels, hidden: hidden, scale: scale, initializer: initializer)
    }

    public override var children: [(String, Module)] { [("actnorm", actnorm), ("invconv", invconv), ("coupling", coupling)] }

    public func forward(_ x: Tensor) throws -> (y: Tensor, logDet: Tensor) {
        let (a, d1) = try actnorm.forward(x)
        let (b, d2) = try invconv.forward(a)
        let (c, d3) = try coupling.forward(b)
        return (c, try d1 + d2 + d3)
    }

    public func inverse(_ y: Tensor) throws -> Tensor {
        try actnorm.inverse(invconv.inverse(coupling.inverse(y)))
    }
}
