/// The product with an epilogue composed from primitives: `gemm`, then one broadcasting `binary`
/// add per epilogue operand, in the epilogue's order (bias first, then the residual in front).
extension FusedKernels where Self: Device {
    public func gemmEpilogue(
        _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape, epilogue: GemmEpilogue
    ) throws {
        try composedGemmEpilogue(a, b, c, shape: shape, epilogue: epilogue)
    }

    func composedGemmEpilogue(
        _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ c: any DeviceBuffer, shape: GemmShape, epilogue: GemmEpilogue
    ) throws {
        try epilogue.validate(for: shape)
        try gemm(a, b, c, shape: shape)
        try applyEpilogue(epilogue, to: c, shape: shape)
    }

    /// c[z, i, j] = residual + (c + bias) over the product's C (batch matrices strideC apart).
    func applyEpilogue(_ epilogue: GemmEpilogue, to c: any DeviceBuffer, shape s: GemmShape) throws {
        guard !epilogue.isEmpty, s.batch > 0, s.m > 0, s.n > 0 else { return }
        // `binary` writes a contiguous output: C's batch matrices must follow each other.
        guard s.batch == 1 || s.strideC == s.m * s.n else {
            throw ComputeError.invalidArgument("composed gemm epilogue: C's batch stride \(s.strideC) is not m·n (\(s))")
        }
        let dims = [s.batch, s.m, s.n], own = [s.m * s.n, s.n, 1]
        func strides(_ o: GemmEpilogue.Operand) -> [Int] { [o.batchStride, o.rowStride, o.columnStride] }
        if let bias = epilogue.bias {
            try binary(.add, c, bias.buffer, c, layout: BroadcastLayout(collapsing: dims, strides: [own, strides(bias)]))
        }
        if let residual = epilogue.residual {
            try binary(.add, residual.buffer, c, c, layout: BroadcastLayout(collapsing: dims, strides: [strides(residual), own]))
        }
    }
}
