#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parity cases of the elementwise family: every unary op, every binary op under NumPy
/// broadcasting (leading, middle and trailing axes, rank 0), where, clamp, affine and axpby.
/// References recompute each definition in Float64 from the same Float32 inputs.
extension KernelRegistry {
    public static var elementwiseKernels: [KernelSpec] {
        UnaryOp.allCases.map(unarySpec) + BinaryOp.allCases.map(binarySpec)
            + [whereSpec, clampSpec, affineSpec, axpbySpec]
    }

    private static let elementwiseCounts = [1, 17, 1021, 1_000_003]

    /// Input range and Float64 definition of each unary op.
    private static func unaryDefinition(_ op: UnaryOp) -> (low: Float, high: Float, f: @Sendable (Double) -> Double) {
        switch op {
        case .neg: (-3, 3, { -$0 })
        case .abs: (-3, 3, { Swift.abs($0) })
        case .exp: (-10, 10, { exp($0) })
        case .log: (0.01, 10, { log($0) })
        case .sqrt: (0, 10, { $0.squareRoot() })
        case .rsqrt: (0.01, 10, { 1 / $0.squareRoot() })
        case .square: (-3, 3, { $0 * $0 })
        case .tanh: (-6, 6, { tanh($0) })
        case .sigmoid: (-12, 12, { 1 / (1 + exp(-$0)) })
        case .relu: (-3, 3, { max($0, 0) })
        case .silu: (-12, 12, { $0 / (1 + exp(-$0)) })
        case .gelu: (-6, 6, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) })
        case .sin: (-10, 10, { sin($0) })
        case .cos: (-10, 10, { cos($0) })
        }
    }

    /// Ops computed exactly (or correctly rounded) on every backend.
    private static let exactUnary: Set<UnaryOp> = [.neg, .abs, .square, .relu]

    private static func unarySpec(_ op: UnaryOp) -> KernelSpec {
        let (low, high, f) = unaryDefinition(op)
        return KernelSpec(
            .unary(op), tolerance: exactUnary.contains(op) ? 1e-12 : 1e-8,
            cases: elementwiseCounts.map { n in
                let input: @Sendable () -> [Float] = {
                    var g = ParityInputs(seed: 500 + UInt64(op.rawValue))
                    return ParityCaseKit.floats(&g, n, low: low, high: high)
                }
                return KernelCase(
                    shape: "\(n)", referenceTolerance: 1e-12,
                    run: { device in
                        let x = try device.upload(input()), out = try ParityCaseKit.buffer(device, n)
                        try device.unary(op, x, out, count: n)
                        return [try device.download(out, count: n)]
                    }, reference: { [input().map { f(Double($0)) }] })
            })
    }

    /// Operand shapes of the broadcasting cases.
    private static let binaryShapes: [[[Int]]] = [
        [[1021], [1021]],
        [[2, 1, 3], [4, 1]],
        [[17, 1, 127], [1, 3, 1]],
        [[127, 17], [17]],
        [[127, 1], [127, 17]],
        [[3, 1, 5, 1], [1, 17, 1, 4]],
        [[], [3, 5]],
        [[], []],
        [[1024, 1021], [1021]],
    ]

    /// Input ranges and Float64 definition of each binary op. Comparisons use a coarse grid so ties occur.
    private static func binaryDefinition(_ op: BinaryOp)
        -> (a: (Float, Float), b: (Float, Float), grid: Bool, f: @Sendable (Double, Double) -> Double)
    {
        switch op {
        case .add: ((-2, 2), (-2, 2), false, { $0 + $1 })
        case .sub: ((-2, 2), (-2, 2), false, { $0 - $1 })
        case .mul: ((-2, 2), (-2, 2), false, { $0 * $1 })
        case .div: ((-2, 2), (0.5, 2), false, { $0 / $1 })
        case .pow: ((0.1, 4), (-2, 2), false, { pow($0, $1) })
        case .maximum: ((-2, 2), (-2, 2), true, { max($0, $1) })
        case .minimum: ((-2, 2), (-2, 2), true, { min($0, $1) })
        case .equal: ((-2, 2), (-2, 2), true, { $0 == $1 ? 1 : 0 })
        case .notEqual: ((-2, 2), (-2, 2), true, { $0 != $1 ? 1 : 0 })
        case .less: ((-2, 2), (-2, 2), true, { $0 < $1 ? 1 : 0 })
        case .lessEqual: ((-2, 2), (-2, 2), true, { $0 <= $1 ? 1 : 0 })
        case .greater: ((-2, 2), (-2, 2), true, { $0 > $1 ? 1 : 0 })
        case .greaterEqual: ((-2, 2), (-2, 2), true, { $0 >= $1 ? 1 : 0 })
        }
    }

    private static func binarySpec(_ op: BinaryOp) -> KernelSpec {
        let (ra, rb, grid, f) = binaryDefinition(op)
        let exact = op != .pow && op != .div
        return KernelSpec(
            .binary(op), tolerance: exact ? 1e-12 : 1e-8, deviceShaped: true, benchmarks: { quick in op == .add ? addBenchmark(quick) : [] },
            cases: binaryShapes.map { shapes in
                let inputs: @Sendable () -> [[Float]] = {
                    var g = ParityInputs(seed: 600 + UInt64(op.rawValue))
                    return zip(shapes, [ra, rb]).map { shape, range in
                        let n = shape.reduce(1, *)
                        return grid
                            ? ParityCaseKit.quantized(&g, n, low: range.0, high: range.1)
                            : ParityCaseKit.floats(&g, n, low: range.0, high: range.1)
                    }
                }
                let outCount = ParityCaseKit.broadcast(shapes).shape.reduce(1, *)
                return KernelCase(
                    shape: ParityCaseKit.text(shapes), referenceTolerance: 1e-12,
                    run: { device in
                        let v = inputs()
                        let a = try device.upload(v[0]), b = try device.upload(v[1]), out = try ParityCaseKit.buffer(device, outCount)
                        try device.binary(op, a, b, out, layout: BroadcastLayout(shapes: shapes)!)
                        return [try device.download(out, count: outCount)]
                    },
                    reference: {
                        let v = inputs()
                        let map = ParityCaseKit.broadcast(shapes).indices
                        return [(0..<outCount).map { f(Double(v[0][map[0][$0]]), Double(v[1][map[1][$0]])) }]
                    })
            })
    }

    private static let whereShapes: [[[Int]]] = [
        [[17], [17], [17]],
        [[17, 1, 127], [3, 1], [127]],
        [[1, 3], [5, 1], []],
        [[], [], []],
        [[1024, 1], [1021], [1024, 1021]],
    ]

    private static var whereSpec: KernelSpec {
        KernelSpec(
            .select, tolerance: 0, deviceShaped: true,
            cases: whereShapes.map { shapes in
                let inputs: @Sendable () -> [[Float]] = {
                    var g = ParityInputs(seed: 700)
                    let cond = g.indices(shapes[0].reduce(1, *), below: 2).map(Float.init)
                    return [cond, ParityCaseKit.floats(&g, shapes[1].reduce(1, *)), ParityCaseKit.floats(&g, shapes[2].reduce(1, *))]
                }
                let outCount = ParityCaseKit.broadcast(shapes).shape.reduce(1, *)
                return KernelCase(
                    shape: ParityCaseKit.text(shapes), referenceTolerance: 0,
                    run: { device in
                        let v = inputs()
                        let c = try device.upload(v[0]), a = try device.upload(v[1]), b = try device.upload(v[2])
                        let out = try ParityCaseKit.buffer(device, outCount)
                        try device.select(c, a, b, out, layout: BroadcastLayout(shapes: shapes)!)
                        return [try device.download(out, count: outCount)]
                    },
                    reference: {
                        let v = inputs()
                        let map = ParityCaseKit.broadcast(shapes).indices
                        return [(0..<outCount).map { v[0][map[0][$0]] != 0 ? Double(v[1][map[1][$0]]) : Double(v[2][map[2][$0]]) }]
                    })
            })
    }

    /// A kernel of one input array and Float parameters: x ∈ [−3, 3], then `apply`.
    private static func pointwiseSpec(
        _ kernel: KernelName, seed: UInt64, tolerance: Double,
        apply: @escaping @Sendable (any Device, any DeviceBuffer, any DeviceBuffer, Int) throws -> Void,
        definition: @escaping @Sendable (Double) -> Double
    ) -> KernelSpec {
        KernelSpec(
            kernel, tolerance: tolerance,
            cases: elementwiseCounts.map { n in
                let input: @Sendable () -> [Float] = {
                    var g = ParityInputs(seed: seed)
                    return ParityCaseKit.floats(&g, n, low: -3, high: 3)
                }
                return KernelCase(
                    shape: "\(n)", referenceTolerance: 1e-12,
                    run: { device in
                        let x = try device.upload(input()), out = try ParityCaseKit.buffer(device, n)
                        try apply(device, x, out, n)
                        return [try device.download(out, count: n)]
                    }, reference: { [input().map { definition(Double($0)) }] })
            })
    }

    private static var clampSpec: KernelSpec {
        pointwiseSpec(
            .clamp, seed: 801, tolerance: 0,
            apply: { device, x, out, n in
                try device.clamp(x, out, count: n, lower: -1, upper: 0.5)
            }, definition: { min(max($0, -1), 0.5) })
    }

    private static var affineSpec: KernelSpec {
        pointwiseSpec(
            .affine, seed: 802, tolerance: 1e-12,
            apply: { device, x, out, n in
                try device.affine(x, out, count: n, scale: 1.75, shift: -0.3)
            }, definition: { 1.75 * $0 + Double(Float(-0.3)) })
    }

    private static var axpbySpec: KernelSpec {
        KernelSpec(
            .axpby, tolerance: 1e-12,
            cases: elementwiseCounts.map { n in
                let inputs: @Sendable () -> ([Float], [Float]) = {
                    var g = ParityInputs(seed: 803)
                    return (ParityCaseKit.floats(&g, n), ParityCaseKit.floats(&g, n))
                }
                return KernelCase(
                    shape: "\(n)", referenceTolerance: 1e-12,
                    run: { device in
                        let (xv, yv) = inputs()
                        let x = try device.upload(xv), y = try device.upload(yv), out = try ParityCaseKit.buffer(device, n)
                        try device.axpby(alpha: 0.75, x, beta: -1.25, y, out, count: n)
                        return [try device.download(out, count: n)]
                    },
                    reference: {
                        let (xv, yv) = inputs()
                        return [zip(xv, yv).map { 0.75 * Double($0) - 1.25 * Double($1) }]
                    })
            })
    }
}
