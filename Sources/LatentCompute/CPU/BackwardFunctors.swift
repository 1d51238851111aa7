#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The derivative of one `UnaryOp` applied to an output gradient: gradIn = g·op′(x). A type per op
/// so that `CPUDevice.unaryBackward`'s loop specialises (no switch per element); `vector`
/// defaults to applying `scalar` lane by lane. abs′(0) = relu′(0) = 0, as in PyTorch.
protocol GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes
}

extension GradientFunctor {
    @inline(__always)
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes {
        var r = g
        for i in 0..<FloatLanes.scalarCount { r[i] = scalar(x[i], g[i]) }
        return r
    }
}

enum NegGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float { -g }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes { -g }
}
enum AbsGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float { x > 0 ? g : x < 0 ? -g : 0 }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes {
        FloatLanes(repeating: 0).replacing(with: g, where: x .> 0).replacing(with: -g, where: x .< 0)
    }
}
enum ExpGradient: GradientFunctor { static func scalar(_ x: Float, _ g: Float) -> Float { g * expf(x) } }
enum LogGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float { g / x }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes { g / x }
}
/// g·½/√x.
enum SqrtGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float { g * 0.5 / x.squareRoot() }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes { g * 0.5 / x.squareRoot() }
}
/// −½·g·x^(−3/2) = −½·g/(x·√x).
enum RsqrtGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float { -0.5 * g / (x * x.squareRoot()) }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes { -0.5 * g / (x * x.squareRoot()) }
}
enum SquareGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float { 2 * x * g }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes { 2 * x * g }
}
/// g·(1 − tanh²x).
enum TanhGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float {
        let t = tanhf(x)
        return g * (1 - t * t)
    }
}
/// g·σ(x)·(1 − σ(x)).
enum SigmoidGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float {
        let s = 1 / (1 + expf(-x))
        return g * s * (1 - s)
    }
}
enum ReluGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float { x > 0 ? g : 0 }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes {
        FloatLanes(repeating: 0).replacing(with: g, where: x .> 0)
    }
}
/// d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))).
enum SiluGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float {
        let s = 1 / (1 + expf(-x))
        return g * s * (1 + x * (1 - s))
    }
}
/// d/dx x·Φ(x) = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^(−x²/2)/√(2π).
enum GeluGradient: GradientFunctor {
    static func scalar(_ x: Float, _ g: Float) -> Float {
        let cdf = 0.5 * (1 + erff(x * 0.707_106_781_186_547_5))
        let pdf = expf(-0.5 * x * x) * 0.398_942_280_401_432_7
        return g * (cdf + x * pdf)
    }
    static func vector(_ x: FloatLanes, _ g: FloatLanes) -> FloatLanes {
        // The vector erfc and exp work on 16 lanes; these loops hand over 8.
        let wide = FloatVector(lowHalf: x, highHalf: x)
        let slope = vectorNormalCDF(wide) + wide * vectorExp(-0.5 * wide * wide) * 0.398_942_280_401_432_7
        return g * slope.lowHalf
    }
}
enum SinGradient: GradientFunctor { static func scalar(_ x: Float, _ g: Float) -> Float { g * cosf(x) } }
enum CosGradient: GradientFunctor { static func scalar(_ x: Float, _ g: Float) -> Float { -g * sinf(x) } }
