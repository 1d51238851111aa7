#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Vector width of the CPU elementwise loops.
typealias FloatVector = SIMD16<Float>

/// One elementwise function of one argument, as a type so that generic loops specialise per op
/// (no closure or switch in the inner loop). `vector` defaults to applying `scalar` lane by lane.
protocol UnaryFunctor {
    static func scalar(_ x: Float) -> Float
    static func vector(_ x: FloatVector) -> FloatVector
}

extension UnaryFunctor {
    @inline(__always)
    static func vector(_ x: FloatVector) -> FloatVector {
        var r = x
        for i in 0..<FloatVector.scalarCount { r[i] = scalar(x[i]) }
        return r
    }
}

/// One elementwise function of two arguments (see `UnaryFunctor`).
protocol BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector
}

extension BinaryFunctor {
    @inline(__always)
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
        var r = a
        for i in 0..<FloatVector.scalarCount { r[i] = scalar(a[i], b[i]) }
        return r
    }
}

enum NegOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { -x }
    static func vector(_ x: FloatVector) -> FloatVector { -x }
}
enum AbsOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { Swift.abs(x) }
    static func vector(_ x: FloatVector) -> FloatVector { x.replacing(with: -x, where: x .< 0) }
}
enum ExpOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { expf(x) }
    static func vector(_ x: FloatVector) -> FloatVector { vectorExp(x) }
}
enum LogOp: UnaryFunctor { static func scalar(_ x: Float) -> Float { logf(x) } }
enum SqrtOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { x.squareRoot() }
    static func vector(_ x: FloatVector) -> FloatVector { x.squareRoot() }
}
enum RsqrtOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { 1 / x.squareRoot() }
    static func vector(_ x: FloatVector) -> FloatVector { 1 / x.squareRoot() }
}
enum SquareOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { x * x }
    static func vector(_ x: FloatVector) -> FloatVector { x * x }
}
enum TanhOp: UnaryFunctor { static func scalar(_ x: Float) -> Float { tanhf(x) } }
/// 1/(1+e^−x); saturates cleanly to 0 and 1.
enum SigmoidOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
    static func vector(_ x: FloatVector) -> FloatVector { 1 / (1 + vectorExp(-x)) }
}
enum ReluOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { x < 0 ? 0 : x }
    static func vector(_ x: FloatVector) -> FloatVector { x.replacing(with: 0, where: x .< 0) }
}
/// x·sigmoid(x) = x/(1+e^−x).
enum SiluOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { x / (1 + expf(-x)) }
    static func vector(_ x: FloatVector) -> FloatVector { x / (1 + vectorExp(-x)) }
}
/// Exact GELU: ½·x·(1 + erf(x/√2)).
enum GeluOp: UnaryFunctor {
    static func scalar(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.707_106_781_186_547_5)) }
    static func vector(_ x: FloatVector) -> FloatVector { x * vectorNormalCDF(x) }
}
enum SinOp: UnaryFunctor { static func scalar(_ x: Float) -> Float { sinf(x) } }
enum CosOp: UnaryFunctor { static func scalar(_ x: Float) -> Float { cosf(x) } }

enum AddOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a + b }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a + b }
}
enum SubOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a - b }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a - b }
}
enum MulOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a * b }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a * b }
}
enum DivOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a / b }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a / b }
}
enum PowOp: BinaryFunctor { static func scalar(_ a: Float, _ b: Float) -> Float { powf(a, b) } }
enum MaximumOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a > b ? a : b }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a.replacing(with: b, where: .!(a .> b)) }
}
enum MinimumOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a < b ? a : b }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { a.replacing(with: b, where: .!(a .< b)) }
}

enum EqualOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { FloatVector(repeating: 0).replacing(with: 1, where: a .== b) }
}
enum NotEqualOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { FloatVector(repeating: 0).replacing(with: 1, where: a .!= b) }
}
enum LessOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { FloatVector(repeating: 0).replacing(with: 1, where: a .< b) }
}
enum LessEqualOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { FloatVector(repeating: 0).replacing(with: 1, where: a .<= b) }
}
enum GreaterOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { FloatVector(repeating: 0).replacing(with: 1, where: a .> b) }
}
enum GreaterEqualOp: BinaryFunctor {
    static func scalar(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 }
    static func vector(_ a: FloatVector, _ b: FloatVector) -> FloatVector { FloatVector(repeating: 0).replacing(with: 1, where: a .>= b) }
}
