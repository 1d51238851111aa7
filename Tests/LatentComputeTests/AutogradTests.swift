import LatentCompute
import Testing

/// Finite-difference checks of every differentiable operation: the loss is L = Σ w·f(inputs) with
/// fixed random weights w, summed on the host in Float64; central differences with step h in
/// Float32 inputs are compared with the gradients from `backward()`.
struct GradientCheck {
    let device: any Device
    var seed: UInt64 = 1

    /// Checks up to `samples` coordinates of every input that requires a gradient.
    func check(
        _ name: String, _ inputs: [Tensor], h: Float = 1e-2, tolerance: Double = 2e-2, samples: Int = 12,
        _ f: ([Tensor]) throws -> Tensor
    ) throws {
        let params = inputs.map { $0.dtype == .float32 ? $0.requiringGrad() : $0 }
        let out = try f(params)
        var gen = ParityInputs(seed: seed)
        let weights = gen.floats(out.count)
        let w = try Tensor(weights, shape: out.shape, on: device)
        let grads = try (out * w).sum().backward()

        func loss(_ values: [Tensor]) throws -> Double {
            let y = try withoutGrad { try f(values) }.toArray()
            return zip(y, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for (i, p) in params.enumerated() where p.dtype == .float32 {
            let analytic = try #require(grads[p], "\(name): no gradient for input \(i)").toArray()
            var base = try p.toArray()
            let picks = base.count <= samples ? Array(0..<base.count) : (0..<samples).map { ($0 * 7919) % base.count }
            for j in picks {
                let original = base[j]
                base[j] = original + h
                var plus = params.map { $0.detached() }
                plus[i] = try Tensor(base, shape: p.shape, on: device)
                let lp = try loss(plus)
                base[j] = original - h
                plus[i] = try Tensor(base, shape: p.shape, on: device)
                let lm = try loss(plus)
                base[j] = original
                let numeric = (lp - lm) / Double(2 * h)
                let a = Double(analytic[j])
                #expect(
                    abs(a - numeric) <= tolerance * (1 + abs(numeric)),
                    "\(name): input \(i) element \(j): backward \(a), finite difference \(numeric)")
            }
        }
    }
}

@Suite struct AutogradTests {
    let device = CPUDevice.shared
    var check: GradientCheck { GradientCheck(device: device) }

    func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) throws -> Tensor {
        var g = ParityInputs(seed: seed)
        return try Tensor(g.floats(shape.reduce(1, *), low: low, high: high), shape: shape, on: device)
    }

    @Test func unaryOps() throws {
        for op in UnaryOp.allCases {
            let positive = [.log, .sqrt, .rsqrt].contains(op)
            // Keep |x| away from 0 where abs/relu kink, and positive where the domain needs it.
            let x = try random([3, 5], seed: 2, low: positive ? 0.5 : 0.2, high: 1.5)
            let signs = try Tensor((0..<15).map { positive || $0 % 2 == 0 ? 1 : -1 }, shape: [3, 5], on: device)
            try check.check(op.name, [try withoutGrad { try x * signs }]) { try $0[0].apply(op) }
        }
    }

    @Test func binaryOpsWithBroadcasting() throws {
        let a = try random([2, 3, 4], seed: 3, low: 0.5, high: 1.5)
        let b = try random([3, 1], seed: 4, low: 0.5, high: 1.5)
        for op in [BinaryOp.add, .sub, .mul, .div, .pow] {
            try check.check(op.name, [a, b]) { try $0[0].apply(op, $0[1]) }
        }
        let c = try random([2, 3, 4], seed: 5)
        // Values on a 0.1 grid offset by 0.05 from each other, so no pair is within the step h of a tie.
        let gridA = try Tensor((0..<24).map { Float($0 % 7) * 0.1 - 0.25 }, shape: [2, 3, 4], on: device)
        let gridB = try Tensor([0.1, -0.2, 0.3, 0], shape: [4], on: device)
        try check.check("maximum", [gridA, gridB]) { try $0[0].apply(.maximum, $0[1]) }
        try check.check("minimum", [gridA, gridB]) { try $0[0].apply(.minimum, $0[1]) }
        try check.check("affine+clamp", [c]) { try $0[0].affine(scale: 3, shift: 0.1).clamped(-0.5, 0.7) }
        try check.check("axpby", [c, try random([2, 3, 4], seed: 7)]) { try Tensor.axpby(0.3, $0[0], -2, $0[1]) }
        let cond = try Tensor((0..<12).map { Float($0 % 2) }, shape: [3, 4], on: device)
        try check.check("where", [c, try random([4], seed: 8)]) { try Tensor.select(cond, $0[0], $0[1]) }
    }

    @Test func reductionsAndSoftmax() throws {
        let x = try random([3, 4, 5], seed: 9)
        for axis in [0, 1, 2] {
            try check.check("sum \(axis)", [x]) { try $0[0].sum(axis: axis) }
            try check.check("mean \(axis)", [x]) { try $0[0].mean(axis: axis, keepDims: true) }
            try check.check("max \(axis)", [x]) { try $0[0].max(axis: axis) }
            try check.check("logsumexp \(axis)", [x]) { try $0[0].logsumexp(axis: axis) }
            try check.check("variance \(axis)", [x]) { try $0[0].variance(axis: axis) }
        }
        try check.check("sum all", [x]) { try $0[0].sum() }
        try check.check("softmax", [x]) { try $0[0].softmax() }
        try check.check("logSoftmax", [x]) { try $0[0].logSoftmax() }
    }

    @Test func shapeOpsAndMatmul() throws {
        let x = try random([2, 3, 4], seed: 10)
        try check.check("permute", [x]) { try $0[0].permuted([2, 0, 1]) }
        try check.check("slice", [x]) { try $0[0].slice(axis: 2, 1..<3) }
        try check.check("concat", [x, try random([2, 1, 4], seed: 11)]) { try Tensor.concat([$0[0], $0[1]], axis: 1) }
        try check.check("expand", [try random([3, 1], seed: 12)]) { try $0[0].expanded(to: [2, 3, 5]) }
        try check.check("reshape", [x]) { try $0[0].reshaped([4, 6]).transposed() }
        let idx = try Tensor(indices: [2, 0, 2, 1], shape: [4], on: device)
        try check.check("gather", [try random([3, 5], seed: 13), idx]) { try $0[0].gather($0[1]) }
        let a = try random([3, 5], seed: 14), b = try random([5, 4], seed: 15)
        try check.check("matmul", [a, b]) { try $0[0].matmul($0[1]) }
        try check.check("matmul tA", [try random([5, 3], seed: 16), b]) { try $0[0].matmul($0[1], transposeSelf: true) }
        try check.check("matmul tB", [a, try random([4, 5], seed: 17)]) { try $0[0].matmul($0[1], transposeOther: true) }
        try check.check("matmul tA tB", [try random([5, 3], seed: 18), try random([4, 5], seed: 19)]) {
            try $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        }
        try check.check("batched matmul, shared B", [try random([2, 3, 5], seed: 20), b]) { try $0[0].matmul($0[1]) }
    }

    @Test func convolutionNormalizationAttention() throws {
        let x = try random([2, 4, 6, 5], seed: 21)
        try check.check("conv2d", [x, try random([3, 4, 3, 3], seed: 22), try random([3], seed: 23)]) {
            try $0[0].conv2d($0[1], bias: $0[2], stride: 2, padding: 1)
        }
        try check.check("conv2d groups dilation", [x, try random([6, 2, 2, 2], seed: 24)]) {
            try $0[0].conv2d($0[1], padding: 1, dilation: 2, groups: 2)
        }
        try check.check("convTranspose2d", [x, try random([4, 3, 4, 4], seed: 25), try random([3], seed: 26)]) {
            try $0[0].convTranspose2d($0[1], bias: $0[2], stride: 2, padding: 1)
        }
        try check.check("upsample", [x]) { try $0[0].upsampleNearest() }
        try check.check("avgPool", [try random([2, 3, 4, 6], seed: 27)]) { try $0[0].avgPool2d(2) }
        try check.check("groupNorm", [x, try random([4], seed: 28), try random([4], seed: 29)]) {
            try $0[0].groupNorm(groups: 2, gamma: $0[1], beta: $0[2])
        }
        try check.check("layerNorm", [try random([3, 7], seed: 30), try random([7], seed: 31), try random([7], seed: 32)]) {
            try $0[0].layerNorm(gamma: $0[1], beta: $0[2])
        }
        try check.check("modulated", [try random([2, 3, 5], seed: 36), try random([2, 5], seed: 37), try random([2, 5], seed: 38)]) {
            try $0[0].modulated(shift: $0[1], scale: $0[2])
        }
        try check.check("attention", [try random([2, 3, 4], seed: 33), try random([2, 5, 4], seed: 34), try random([2, 5, 4], seed: 35)]) {
            try Tensor.attention(query: $0[0], key: $0[1], value: $0[2])
        }
    }

    @Test func losses() throws {
        let x = try random([4, 3], seed: 36)
        let t = try random([4, 3], seed: 37, low: 0, high: 1)
        try check.check("mse", [x, t]) { try Tensor.mseLoss($0[0], $0[1]) }
        try check.check("bce", [x, t]) { try Tensor.bceWithLogitsLoss($0[0], $0[1]) }
        let labels = try Tensor(indices: [0, 2, 1, 2], shape: [4], on: device)
        try check.check("cross entropy", [x]) { try Tensor.crossEntropyLoss($0[0], labels: labels) }
        try check.check("gaussian KL", [x, try random([4, 3], seed: 38)]) { try Tensor.gaussianKL(mean: $0[0], logVariance: $0[1]) }
        try check.check("dropout", [x]) { try $0[0].dropout(probability: 0.3, seed: 5, offset: 11) }
    }

    /// The straight-through estimator is not a derivative: its value is the quantized tensor and its
    /// gradient is the identity, which finite differences cannot see.
    @Test func straightThroughPassesGradientUnchanged() throws {
        let x = try Tensor([0.2, -1.4, 3.1], shape: [3], on: device).requiringGrad()
        let quantized = try Tensor([0, -1, 3], shape: [3], on: device)
        let y = try x.straightThrough(quantized)
        #expect(try y.toArray() == [0, -1, 3])
        let w = try Tensor([1, 2, 3], shape: [3], on: device)
        #expect(try (y * w).sum().backward()[x]?.toArray() == [1, 2, 3])
    }

    @Test func backwardAccumulatesSharedInputsAndDetaches() throws {
        let x = try Tensor([1, 2, 3], shape: [3], on: device).requiringGrad()
        // y = x·x + x → dy/dx = 2x + 1; the detached branch contributes nothing.
        let y = try (x * x + x + (x * x).detached()).sum()
        let g = try y.backward()
        #expect(try g[x]?.toArray() == [3, 5, 7])
        #expect(throws: ComputeError.self) { try Tensor([1, 2], shape: [2], on: device).sum().backward() }
        #expect(throws: ComputeError.self) { try (x * x).backward() }
        let untracked = try withoutGrad { try x * x }
        #expect(!untracked.requiresGrad)
    }
}
