import Foundation
import LatentCompute

/// An optimizer updates parameters in place (their buffers), from gradients, with fused kernels.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    /// One update of every named parameter that has a gradient.
    func step(_ parameters: [(String, Tensor)], gradients: Gradients) throws
    /// Named state tensors (for checkpoints), e.g. "exp_avg.conv.weight".
    var state: [(String, Tensor)] { get }
    var stepCount: Int { get }
}

/// Adam, or AdamW with decoupled weight decay (Loshchilov & Hutter), PyTorch semantics.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public let decoupled: Bool
    public private(set) var stepCount = 0
    private var moments: [String: (m: Tensor, v: Tensor)] = [:]
    private var order: [String] = []

    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, decoupled: Bool = false
    ) {
        self.learningRate = learningRate
        (self.beta1, self.beta2, self.epsilon, self.weightDecay, self.decoupled) = (beta1, beta2, epsilon, weightDecay, decoupled)
    }

    /// AdamW with PyTorch's default weight decay of 0.01.
    public static func adamW(learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupled: true)
    }

    public func step(_ parameters: [(String, Tensor)], gradients: Gradients) throws {
        if let deviceSteps {
            // Steps decided on the device came before: take their count back to the host.
            stepCount = Int(try deviceSteps.item())
            self.deviceSteps = nil
        }
        stepCount += 1
        let hyper = AdamHyperparameters(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            weightDecay: weightDecay, decoupledWeightDecay: decoupled, step: stepCount)
        for (name, p) in parameters {
            guard let g = gradients[p] else { continue }
            let state =
                try moments[name]
                ?? {
                    order.append(name)
                    return (try Tensor.zeros(p.shape, on: p.device), try Tensor.zeros(p.shape, on: p.device))
                }()
            moments[name] = state
            try p.adamStep(gradient: g, m: state.m, v: state.v, hyper: hyper)
        }
    }

    /// Adam's t on the device while steps are decided there (`step(_:gradients:gate:)`).
    private var deviceSteps: Tensor?

    /// One update decided on the device, without a host read: parameters and moments change only
    /// where `gate.apply` holds 1, each gradient is first multiplied by `gate.gradientScale`, and t
    /// counts applied steps only, so a step gated off leaves the bias correction where it was (as a
    /// step never called does). t is a Float on the device: exact up to 2²⁴ steps.
    public func step(_ parameters: [(String, Tensor)], gradients: Gradients, gate: StepGate) throws {
        let t = try deviceSteps ?? Tensor([Float(stepCount)], shape: [1], on: gate.apply.device)
        deviceSteps = t
        try t.assignAxpby(1, t, 1, gate.apply)
        let hyper = AdamHyperparameters(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            weightDecay: weightDecay, decoupledWeightDecay: decoupled, step: 1)
        for (name, p) in parameters {
            guard let g = gradients[p] else { continue }
            let state = try moments(of: name, like: p)
            try p.adamStep(gradient: g, m: state.m, v: state.v, hyper: hyper, apply: gate.apply, scale: gate.gradientScale, step: t)
        }
    }

    /// Adam's t: `stepCount`, or after gated steps the count on the device (one host read).
    public func readStepCount() throws -> Int {
        guard let deviceSteps else { return stepCount }
        return Int(try deviceSteps.item())
    }

    private func moments(of name: String, like p: Tensor) throws -> (m: Tensor, v: Tensor) {
        if let state = moments[name] { return state }
        order.append(name)
        let state = (try Tensor.zeros(p.shape, on: p.device), try Tensor.zeros(p.shape, on: p.device))
        moments[name] = state
        return state
    }

    public var state: [(String, Tensor)] {
        order.flatMap { name in [("exp_avg.\(name)", moments[name]!.m), ("exp_avg_sq.\(name)", moments[name]!.v)] }
    }

    /// Restores moments from a checkpoint (tensors named as in `state`) and the step count.
    public func restore(_ tensors: [String: Tensor], stepCount: Int) {
        self.stepCount = stepCount
        deviceSteps = nil
        for (key, m) in tensors where key.hasPrefix("exp_avg.") {
            let name = String(key.dropFirst("exp_avg.".count))
            if let v = tensors["exp_avg_sq.\(name)"] {
                if moments[name] == nil { order.append(name) }
                moments[name] = (m, v)
            }
        }
    }
}

/// What decides an optimizer step on the device (one-element tensors): `apply` 1 to update, 0 to
/// leave everything as it is; `gradientScale` multiplies the gradients (a clip factor, else 1).
public struct StepGate {
    public let apply: Tensor
    public let gradientScale: Tensor

    public init(apply: Tensor, gradientScale: Tensor) {
        self.apply = apply
        self.gradientScale = gradientScale
    }
}

/// Stochastic gradient descent with optional momentum, Nesterov and weight decay (PyTorch semantics).
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, weightDecay: Float
    public let nesterov: Bool
    public private(set) var stepCount = 0
    private var buffers: [String: Tensor] = [:]
    private var order: [String] = []

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        (self.momentum, self.weightDecay, self.nesterov) = (momentum, weightDecay, nesterov)
    }

    public func step(_ parameters: [(String, Tensor)], gradients: Gradients) throws {
        stepCount += 1
        for (name, p) in parameters {
            guard let g = gradients[p] else { continue }
            let first = buffers[name] == nil
            if first {
                buffers[name] = try Tensor.zeros(p.shape, on: p.device)
                order.append(name)
            }
            try p.sgdStep(
                gradient: g, momentumBuffer: buffers[name]!,
                hyper: SGDHyperparameters(
                    learningRate: learningRate, momentum: momentum,
                    weightDecay: weightDecay, nesterov: nesterov, firstStep: first))
        }
    }

    public var state: [(String, Tensor)] { order.map { ("momentum_buffer.\($0)", buffers[$0]!) } }
}

/// Scales gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
/// (One host read per call, of every gradient's squared norm at once: the norm decides the scale.)
public func clipGradientNorm(_ gradients: inout Gradients, parameters: [(String, Tensor)], maxNorm: Float) throws -> Float {
    let squares = try Tensor.readScalars(squaredGradientNorms(gradients, parameters: parameters))
    return try clipGradientNorm(&gradients, parameters: parameters, maxNorm: maxNorm, squaredNorms: squares)
}

/// Σ g² of every parameter's gradient, in parameter order (parameters without one are skipped),
/// as device scalars: read them with the step's other scalars (`Tensor.readScalars`).
public func squaredGradientNorms(_ gradients: Gradients, parameters: [(String, Tensor)]) throws -> [Tensor] {
    try withoutGrad { try parameters.compactMap { _, p in try gradients[p].map { try $0.square().sum() } } }
}

/// `clipGradientNorm` with the squared norms already read (`squaredGradientNorms`, same order):
/// the norm is their sum in Float64, in parameter order.
public func clipGradientNorm(
    _ gradients: inout Gradients, parameters: [(String, Tensor)], maxNorm: Float, squaredNorms: [Float]
) throws -> Float {
    let present = parameters.map(\.1).filter { gradients[$0] != nil }
    guard present.count == squaredNorms.count else {
        throw ComputeError.invalidArgument("\(squaredNorms.count) squared norms for \(present.count) gradients")
    }
    let total = squaredNorms.reduce(0.0) { $0 + Double($1) }
    let norm = Float(total.squareRoot())
    if norm.isFinite, norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for p in present { gradients.replace(try gradients[p]!.affine(scale: scale), for: p) }
    }
    return norm
}

/// An exponential moving average of parameters (diffusion models sample from it):
/// shadow ← decay·shadow + (1 − decay)·parameter after each optimizer step.
public final class ExponentialMovingAverage {
    public let decay: Float
    public private(set) var shadow: [(String, Tensor)]

    public init(_ parameters: [(String, Tensor)], decay: Float = 0.9999) throws {
        self.decay = decay
        shadow = try parameters.map { name, p in
            let copy = try Tensor.empty(p.shape, on: p.device)
            try copy.assign(p)
            return (name, copy)
        }
    }

    public func update(_ parameters: [(String, Tensor)]) throws {
        try update(parameters, decay: decay)
    }

    /// One update with another decay than `decay` (a warm-up's, `warmedUpDecay`).
    public func update(_ parameters: [(String, Tensor)], decay: Float) throws {
        for ((_, s), (_, p)) in zip(shadow, parameters) {
            try s.assignAxpby(decay, s, 1 - decay, p)
        }
    }

    /// The decay of update n (0 first) with warm-up, min(decay, (1 + n)/(10 + n)): the average
    /// forgets the first, far-from-trained weights quickly (as timm's and many diffusion codebases do).
    public func warmedUpDecay(update n: Int) -> Float {
        Swift.min(decay, Float(1 + n) / Float(10 + n))
    }

    /// Sets every shadow to its parameter's current value (a copy).
    public func reset(to parameters: [(String, Tensor)]) throws {
        for ((_, s), (_, p)) in zip(shadow, parameters) { try s.assign(p) }
    }

    /// `update` where `apply` (one element on the device) holds 1; every shadow stays as it is where
    /// it holds 0. No host read; two more launches per tensor than `update`.
    public func update(_ parameters: [(String, Tensor)], apply: Tensor, decay: Float? = nil) throws {
        let decay = decay ?? self.decay
        for ((_, s), (_, p)) in zip(shadow, parameters) {
            let moved = try Tensor.axpby(decay, s, 1 - decay, p)
            try s.assign(Tensor.select(apply, moved, s))
        }
    }
}

/// Learning-rate schedules: linear warm-up, then constant or cosine decay to `minimum`.
public struct LearningRateSchedule: Sendable {
    public var base: Float
    public var warmupSteps: Int
    public var totalSteps: Int?
    public var minimum: Float

    public init(base: Float, warmupSteps: Int = 0, cosineTotalSteps: Int? = nil, minimum: Float = 0) {
        self.base = base
        self.warmupSteps = warmupSteps
        self.totalSteps = cosineTotalSteps
        self.minimum = minimum
    }

    /// The rate for a 1-based step.
    public func rate(atStep step: Int) -> Float {
        if warmupSteps > 0, step <= warmupSteps { return base * Float(step) / Float(warmupSteps) }
        guard let total = totalSteps, total > warmupSteps else { return base }
        let progress = Double(Swift.min(step, total) - warmupSteps) / Double(total - warmupSteps)
        return minimum + (base - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
    }
}
