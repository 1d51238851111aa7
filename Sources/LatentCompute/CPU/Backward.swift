#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Elementwise backward kernels, dropout, one-hot and BCE-with-logits on the CPU backend.
extension CPUDevice {
    public func unaryBackward(
        _ op: UnaryOp, _ x: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        count: Int
    ) throws {
        let px = try cpu(x).floats, pg = try cpu(gradOut).floats, po = try cpu(gradIn).floats
        switch op {
        case .neg: mapGradient(NegGradient.self, px, pg, po, count)
        case .abs: mapGradient(AbsGradient.self, px, pg, po, count)
        case .exp: mapGradient(ExpGradient.self, px, pg, po, count)
        case .log: mapGradient(LogGradient.self, px, pg, po, count)
        case .sqrt: mapGradient(SqrtGradient.self, px, pg, po, count)
        case .rsqrt: mapGradient(RsqrtGradient.self, px, pg, po, count)
        case .square: mapGradient(SquareGradient.self, px, pg, po, count)
        case .tanh: mapGradient(TanhGradient.self, px, pg, po, count)
        case .sigmoid: mapGradient(SigmoidGradient.self, px, pg, po, count)
        case .relu: mapGradient(ReluGradient.self, px, pg, po, count)
        case .silu: mapGradient(SiluGradient.self, px, pg, po, count)
        case .gelu: mapGradient(GeluGradient.self, px, pg, po, count)
        case .sin: mapGradient(SinGradient.self, px, pg, po, count)
        case .cos: mapGradient(CosGradient.self, px, pg, po, count)
        }
    }

    private func mapGradient<F: GradientFunctor>(
        _: F.Type, _ x: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ out: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        parallelFor(count, grain: 32_768) { start, end in
            var i = start
            while i + FloatLanes.scalarCount <= end {
                storeLanes(F.vector(loadLanes(x, i), loadLanes(g, i)), out, i)
                i += FloatLanes.scalarCount
            }
            while i < end {
                out[i] = F.scalar(x[i], g[i])
                i += 1
            }
        }
    }

    public func softmaxBackward(
        _ y: any DeviceBuffer, gradOut: any DeviceBuffer, gradIn: any DeviceBuffer,
        rows: Int, columns: Int, log: Bool
    ) throws {
        let py = try cpu(y).floats, pg = try cpu(gradOut).floats, po = try cpu(gradIn).floats
        guard columns > 0 else { return }
        parallelFor(rows, grain: max(1, 16_384 / columns)) { start, end in
            for row in start..<end {
                let ys = py + row * columns, gs = pg + row * columns, os = po + row * columns
                if log {
                    let total = Float(blockedSum(columns, { loadLanes(gs, $0) }, { gs[$0] }))
                    for j in 0..<columns { os[j] = gs[j] - expf(ys[j]) * total }
                } else {
                    let dot = Float(blockedSum(columns, { loadLanes(gs, $0) * loadLanes(ys, $0) }, { gs[$0] * ys[$0] }))
                    var j = 0
                    while j + FloatLanes.scalarCount <= columns {
                        storeLanes(loadLanes(ys, j) * (loadLanes(gs, j) - dot), os, j)
                        j += FloatLanes.scalarCount
                    }
                    while j < columns {
                        os[j] = ys[j] * (gs[j] - dot)
                        j += 1
                    }
                }
            }
        }
    }

    /// The kept elements are scaled by 1/(1 − p) rounded to Float once (`dropoutScale`), so every
    /// backend multiplies by the same Float and the outputs are bit-identical.
    public func dropout(
        _ x: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, probability: Float,
        seed: UInt64, offset: UInt64
    ) throws {
        let px = try cpu(x).floats, po = try cpu(out).floats
        let scale = dropoutScale(probability)
        parallelFor(count, grain: 8_192) { start, end in
            // 8 Philox blocks (32 elements of the stream) at a time, in vectors: the scalar
            // generator took about 5 % of a U-Net training step.
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 32) { words in
                let first = offset &+ UInt64(start), last = offset &+ UInt64(end)
                var block = first >> 2
                while block << 2 < last {
                    Philox4x32.words8(seed: seed, firstBlock: block, into: words.baseAddress!)
                    let base = block << 2
                    if base >= first && base + 32 <= last {
                        // A whole group in range: 8 elements per vector (the words are in element order).
                        let i0 = Int(base &- offset)
                        for v in 0..<4 {
                            let w = UnsafeRawPointer(words.baseAddress! + 8 * v).loadUnaligned(as: SIMD8<UInt32>.self)
                            let u = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: w &>> 8)) * 0x1p-24
                            let kept = loadLanes(px, i0 + 8 * v) * scale
                            storeLanes(FloatLanes().replacing(with: kept, where: u .>= probability), po, i0 + 8 * v)
                        }
                    } else {
                        for e in max(base, first)..<min(base + 32, last) {
                            let i = Int(e &- offset)
                            po[i] = Float(words[Int(e - base)] >> 8) * 0x1p-24 >= probability ? px[i] * scale : 0
                        }
                    }
                    block += 8
                }
            }
        }
    }

    public func oneHot(_ indices: any DeviceBuffer, _ out: any DeviceBuffer, count: Int, classes: Int) throws {
        let pi = try cpu(indices).int32s, po = try cpu(out).floats
        guard classes > 0 else { return }
        parallelFor(count, grain: max(1, 65_536 / classes)) { start, end in
            (po + start * classes).initialize(repeating: 0, count: (end - start) * classes)
            for i in start..<end {
                let c = Int(pi[i])
                if c >= 0 && c < classes { po[i * classes + c] = 1 }
            }
        }
    }

    public func bceWithLogits(
        _ logits: any DeviceBuffer, targets: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int
    ) throws {
        let px = try cpu(logits).floats, pt = try cpu(targets).floats, po = try cpu(out).floats
        parallelFor(count, grain: 16_384) { start, end in
            for i in start..<end {
                let x = px[i]
                po[i] = (x > 0 ? x : 0) - x * pt[i] + log1pf(expf(-Swift.abs(x)))
            }
        }
    }
}

/// The Float multiplier of dropout's kept elements, 1/(1 − p); 0 when p ≥ 1 (everything dropped).
func dropoutScale(_ probability: Float) -> Float {
    probability >= 1 ? 0 : 1 / (1 - probability)
}
