/// Elementwise kernels on the CPU backend. Each op is a functor type (ElementwiseFunctors.swift);
/// the loops below are generic over it, so release builds get one specialised SIMD loop per op.
/// Broadcasting layouts walk rows with `StridedRows`, with SIMD fast paths when an operand's
/// last-axis stride is 1 or 0.
extension CPUDevice {
    public func unary(_ op: UnaryOp, _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int) throws {
        let s = try cpu(x).floats, o = try cpu(out).floats
        switch op {
        case .neg: mapUnary(NegOp.self, s, o, count)
        case .abs: mapUnary(AbsOp.self, s, o, count)
        case .exp: mapUnary(ExpOp.self, s, o, count)
        case .log: mapUnary(LogOp.self, s, o, count)
        case .sqrt: mapUnary(SqrtOp.self, s, o, count)
        case .rsqrt: mapUnary(RsqrtOp.self, s, o, count)
        case .square: mapUnary(SquareOp.self, s, o, count)
        case .tanh: mapUnary(TanhOp.self, s, o, count)
        case .sigmoid: mapUnary(SigmoidOp.self, s, o, count)
        case .relu: mapUnary(ReluOp.self, s, o, count)
        case .silu: mapUnary(SiluOp.self, s, o, count)
        case .gelu: mapUnary(GeluOp.self, s, o, count)
        case .sin: mapUnary(SinOp.self, s, o, count)
        case .cos: mapUnary(CosOp.self, s, o, count)
        }
    }

    public func binary(
        _ op: BinaryOp, _ a: any DeviceBuffer, _ b: any DeviceBuffer, _ out: any DeviceBuffer,
        layout: BroadcastLayout
    ) throws {
        let pa = try cpu(a).floats, pb = try cpu(b).floats, o = try cpu(out).floats
        switch op {
        case .add: mapBinary(AddOp.self, pa, pb, o, layout)
        case .sub: mapBinary(SubOp.self, pa, pb, o, layout)
        case .mul: mapBinary(MulOp.self, pa, pb, o, layout)
        case .div: mapBinary(DivOp.self, pa, pb, o, layout)
        case .pow: mapBinary(PowOp.self, pa, pb, o, layout)
        case .maximum: mapBinary(MaximumOp.self, pa, pb, o, layout)
        case .minimum: mapBinary(MinimumOp.self, pa, pb, o, layout)
        case .equal: mapBinary(EqualOp.self, pa, pb, o, layout)
        case .notEqual: mapBinary(NotEqualOp.self, pa, pb, o, layout)
        case .less: mapBinary(LessOp.self, pa, pb, o, layout)
        case .lessEqual: mapBinary(LessEqualOp.self, pa, pb, o, layout)
        case .greater: mapBinary(GreaterOp.self, pa, pb, o, layout)
        case .greaterEqual: mapBinary(GreaterEqualOp.self, pa, pb, o, layout)
        }
    }

    public func select(
        _ condition: any DeviceBuffer, _ a: any DeviceBuffer, _ b: any DeviceBuffer,
        _ out: any DeviceBuffer, layout: BroadcastLayout
    ) throws {
        let pc = try cpu(condition).floats, pa = try cpu(a).floats, pb = try cpu(b).floats
        let o = try cpu(out).floats
        let rows = StridedRows(shape: layout.shape, strides: layout.operandStrides)
        guard rows.count > 0 else { return }
        let n = rows.rowLength, sc = rows.lastStride(0), sa = rows.lastStride(1), sb = rows.lastStride(2)
        parallelFor(rows.rowCount, grain: rows.rowGrain(elements: 32_768)) { start, end in
            rows.forEachRow(start..<end) { row, oc, oa, ob in
                let c = pc + oc, x = pa + oa, y = pb + ob, dst = o + row * n
                var j = 0
                if sc == 1 && sa == 1 && sb == 1 {
                    while j + FloatVector.scalarCount <= n {
                        let v = load(x, j).replacing(with: load(y, j), where: load(c, j) .== 0)
                        store(v, dst, j)
                        j += FloatVector.scalarCount
                    }
                }
                while j < n {
                    dst[j] = c[j * sc] != 0 ? x[j * sa] : y[j * sb]
                    j += 1
                }
            }
        }
    }

    public func clamp(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, lower: Float, upper: Float) throws {
        let s = try cpu(x).floats, o = try cpu(out).floats
        let lo = FloatVector(repeating: lower), hi = FloatVector(repeating: upper)
        parallelFor(count, grain: 65_536) { start, end in
            var i = start
            while i + FloatVector.scalarCount <= end {
                let v = load(s, i)
                let low = v.replacing(with: lo, where: .!(v .> lo))
                store(low.replacing(with: hi, where: .!(low .< hi)), o, i)
                i += FloatVector.scalarCount
            }
            while i < end {
                let low = s[i] > lower ? s[i] : lower
                o[i] = low < upper ? low : upper
                i += 1
            }
        }
    }

    public func affine(_ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, scale: Float, shift: Float) throws {
        let s = try cpu(x).floats, o = try cpu(out).floats
        parallelFor(count, grain: 65_536) { start, end in
            var i = start
            while i + FloatVector.scalarCount <= end {
                store(load(s, i) * scale + shift, o, i)
                i += FloatVector.scalarCount
            }
            while i < end {
                o[i] = s[i] * scale + shift
                i += 1
            }
        }
    }

    public func modulate(
        _ x: any DeviceBuffer, shift: any DeviceBuffer, scale: any DeviceBuffer, _ out: any DeviceBuffer,
        batch: Int, tokens: Int, channels: Int
    ) throws {
        let px = try cpu(x).floats, pShift = try cpu(shift).floats, pScale = try cpu(scale).floats, o = try cpu(out).floats
        // One task per token row; the row's (1 + scale) and shift stay in cache across its image.
        parallelFor(batch * tokens, grain: max(1, 16_384 / max(channels, 1))) { start, end in
            for row in start..<end {
                let base = row * channels, parameters = (row / tokens) * channels
                var c = 0
                while c + FloatVector.scalarCount <= channels {
                    let factor = load(pScale, parameters + c) + 1
                    store(load(px, base + c) * factor + load(pShift, parameters + c), o, base + c)
                    c += FloatVector.scalarCount
                }
                while c < channels {
                    o[base + c] = px[base + c] * (pScale[parameters + c] + 1) + pShift[parameters + c]
                    c += 1
                }
            }
        }
    }

    public func axpby(
        alpha: Float, _ x: any DeviceBuffer, beta: Float, _ y: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int
    ) throws {
        let px = try cpu(x).floats, py = try cpu(y).floats, o = try cpu(out).floats
        parallelFor(count, grain: 65_536) { start, end in
            var i = start
            while i + FloatVector.scalarCount <= end {
                store(alpha * load(px, i) + beta * load(py, i), o, i)
                i += FloatVector.scalarCount
            }
            while i < end {
                o[i] = alpha * px[i] + beta * py[i]
                i += 1
            }
        }
    }

    /// o[i] = F(s[i]) for i < count.
    private func mapUnary<F: UnaryFunctor>(
        _: F.Type, _ s: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>,
        _ count: Int
    ) {
        parallelFor(count, grain: 32_768) { start, end in applyUnary(F.self, s, o, start, end) }
    }

    /// o = F(a, b) over a broadcast layout.
    private func mapBinary<F: BinaryFunctor>(
        _: F.Type, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ o: UnsafeMutablePointer<Float>, _ layout: BroadcastLayout
    ) {
        let rows: StridedRows
        if layout.isElementwise {
            rows = StridedRows(shape: [layout.count], strides: [[1], [1]])
        } else {
            rows = StridedRows(shape: layout.shape, strides: layout.operandStrides)
        }
        guard rows.count > 0 else { return }
        let n = rows.rowLength, sa = rows.lastStride(0), sb = rows.lastStride(1)
        if rows.rowCount == 1 {
            // One long row: split it across threads.
            parallelFor(n, grain: 32_768) { start, end in
                binaryRow(F.self, a, sa, b, sb, o, start, end)
            }
            return
        }
        parallelFor(rows.rowCount, grain: rows.rowGrain(elements: 32_768)) { start, end in
            rows.forEachRow(start..<end) { row, oa, ob, _ in
                binaryRow(F.self, a + oa, sa, b + ob, sb, o + row * n, 0, n)
            }
        }
    }
}

/// o[j] = F(a[j·sa], b[j·sb]) for j in start..<end, vectorised when the strides are 1 or 0.
@inline(__always)
private func binaryRow<F: BinaryFunctor>(
    _: F.Type, _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>,
    _ sb: Int, _ o: UnsafeMutablePointer<Float>, _ start: Int, _ end: Int
) {
    let w = FloatVector.scalarCount
    var j = start
    if sa == 1 && sb == 1 {
        while j + w <= end {
            store(F.vector(load(a, j), load(b, j)), o, j)
            j += w
        }
    } else if sa == 1 && sb == 0 {
        let vb = FloatVector(repeating: b[0])
        while j + w <= end {
            store(F.vector(load(a, j), vb), o, j)
            j += w
        }
    } else if sa == 0 && sb == 1 {
        let va = FloatVector(repeating: a[0])
        while j + w <= end {
            store(F.vector(va, load(b, j)), o, j)
            j += w
        }
    }
    while j < end {
        o[j] = F.scalar(a[j * sa], b[j * sb])
        j += 1
    }
}

/// Loads 16 floats at p + i (unaligned).
@inline(__always)
func load(_ p: UnsafePointer<Float>, _ i: Int) -> FloatVector {
    UnsafeRawPointer(p + i).loadUnaligned(as: FloatVector.self)
}

/// Stores 16 floats at p + i (unaligned).
@inline(__always)
func store(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: FloatVector.self)
}

/// o[i] = F(s[i]) for start ≤ i < end on the calling thread (s may equal o).
@inline(__always)
func applyUnary<F: UnaryFunctor>(_: F.Type, _ s: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ start: Int, _ end: Int) {
    var i = start
    while i + FloatVector.scalarCount <= end {
        store(F.vector(load(s, i)), o, i)
        i += FloatVector.scalarCount
    }
    while i < end {
        o[i] = F.scalar(s[i])
        i += 1
    }
}
