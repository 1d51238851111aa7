/// Group normalization (and LayerNorm, its case spatial = 1, groups = 1) on the CPU backend.
///
/// One (n, g) block is the contiguous run of channels/groups·spatial elements of sample n.
/// Statistics are two-pass (mean, then Σ(x − mean)²) with blocked Float partial sums added into
/// Doubles (`blockedSum`). When spatial = 1 the per-channel loops run across channels instead, so
/// LayerNorm's many short rows are vectorised too. See `FusedKernels` for the semantics.
extension CPUDevice {
    public func groupNorm(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape
    ) throws {
        try groupNorm(x, gamma: gamma, beta: beta, out, mean: mean, rstd: rstd, shape: shape, silu: false)
    }

    public func groupNormSiLU(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape
    ) throws {
        try groupNorm(x, gamma: gamma, beta: beta, out, mean: mean, rstd: rstd, shape: shape, silu: true)
    }

    /// The forward pass, with SiLU applied to each block while it is still in cache when `silu`.
    private func groupNorm(
        _ x: any DeviceBuffer, gamma: any DeviceBuffer, beta: any DeviceBuffer, _ out: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, shape: GroupNormShape, silu: Bool
    ) throws {
        let px = try cpu(x).floats, pg = try cpu(gamma).floats, pb = try cpu(beta).floats, po = try cpu(out).floats
        let pm = try cpu(mean).floats, pr = try cpu(rstd).floats
        let perGroup = shape.channels / shape.groups, spatial = shape.spatial, size = perGroup * spatial
        let epsilon = Double(shape.epsilon)
        guard size > 0 else { return }
        parallelFor(shape.batch * shape.groups, grain: max(1, 16_384 / size)) { start, end in
            for block in start..<end {
                let xs = px + block * size, os = po + block * size
                let c0 = (block % shape.groups) * perGroup
                let mu = blockedSum(size, { loadLanes(xs, $0) }, { xs[$0] }) / Double(size)
                let m = Float(mu)
                let variance =
                    blockedSum(
                        size,
                        {
                            let d = loadLanes(xs, $0) - m
                            return d * d
                        },
                        {
                            let d = xs[$0] - m
                            return d * d
                        }) / Double(size)
                let r = Float(1 / (variance + epsilon).squareRoot())
                pm[block] = m
                pr[block] = r
                if spatial == 1 {
                    let gs = pg + c0, bs = pb + c0
                    var j = 0
                    while j + FloatLanes.scalarCount <= perGroup {
                        let y = (loadLanes(xs, j) - m) * (r * loadLanes(gs, j)) + loadLanes(bs, j)
                        storeLanes(y, os, j)
                        j += FloatLanes.scalarCount
                    }
                    while j < perGroup {
                        os[j] = (xs[j] - m) * (r * gs[j]) + bs[j]
                        j += 1
                    }
                } else {
                    for c in 0..<perGroup {
                        let scale = r * pg[c0 + c], shift = pb[c0 + c]
                        let xc = xs + c * spatial, oc = os + c * spatial
                        var s = 0
                        while s + FloatLanes.scalarCount <= spatial {
                            storeLanes((loadLanes(xc, s) - m) * scale + shift, oc, s)
                            s += FloatLanes.scalarCount
                        }
                        while s < spatial {
                            oc[s] = (xc[s] - m) * scale + shift
                            s += 1
                        }
                    }
                }
                if silu { applyUnary(SiluOp.self, os, os, 0, size) }
            }
        }
    }

    /// gradX = rstd·(γ·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)) per (n, g), x̂ = (x − mean)·rstd;
    /// gradGamma[c] = Σ dy·x̂ and gradBeta[c] = Σ dy over batch and spatial positions. Sums over
    /// dy·(x − mean) use the saved mean directly (no cancellation-prone Σdy·x − mean·Σdy).
    public func groupNormBackward(
        _ gradOut: any DeviceBuffer, x: any DeviceBuffer, gamma: any DeviceBuffer,
        mean: any DeviceBuffer, rstd: any DeviceBuffer, gradX: any DeviceBuffer,
        gradGamma: any DeviceBuffer, gradBeta: any DeviceBuffer, shape: GroupNormShape
    ) throws {
        let pdy = try cpu(gradOut).floats, px = try cpu(x).floats, pg = try cpu(gamma).floats
        let pm = try cpu(mean).floats, pr = try cpu(rstd).floats, pdx = try cpu(gradX).floats
        let pgg = try cpu(gradGamma).floats, pgb = try cpu(gradBeta).floats
        let perGroup = shape.channels / shape.groups, spatial = shape.spatial, size = perGroup * spatial
        guard size > 0 else { return }
        // gradX, one (n, g) block at a time.
        parallelFor(shape.batch * shape.groups, grain: max(1, 8_192 / size)) { start, end in
            for block in start..<end {
                let dys = pdy + block * size, xs = px + block * size, dxs = pdx + block * size
                let c0 = (block % shape.groups) * perGroup, gs = pg + c0
                let m = pm[block], r = pr[block]
                var sum1 = 0.0, sum2 = 0.0  // Σ γ·dy and Σ γ·dy·(x − mean)
                if spatial == 1 {
                    sum1 = blockedSum(size, { loadLanes(gs, $0) * loadLanes(dys, $0) }, { gs[$0] * dys[$0] })
                    sum2 = blockedSum(
                        size, { loadLanes(gs, $0) * loadLanes(dys, $0) * (loadLanes(xs, $0) - m) },
                        { gs[$0] * dys[$0] * (xs[$0] - m) })
                } else {
                    for c in 0..<perGroup {
                        let dyc = dys + c * spatial, xc = xs + c * spatial
                        let a = blockedSum(spatial, { loadLanes(dyc, $0) }, { dyc[$0] })
                        let b = blockedSum(
                            spatial, { loadLanes(dyc, $0) * (loadLanes(xc, $0) - m) },
                            { dyc[$0] * (xc[$0] - m) })
                        sum1 += Double(gs[c]) * a
                        sum2 += Double(gs[c]) * b
                    }
                }
                let rd = Double(r), count = Double(size)
                let bCoefficient = Float(-rd * rd * rd * sum2 / count), dCoefficient = Float(-rd * sum1 / count)
                if spatial == 1 {
                    var j = 0
                    while j + FloatLanes.scalarCount <= size {
                        let v = r * loadLanes(gs, j) * loadLanes(dys, j) + bCoefficient * (loadLanes(xs, j) - m) + dCoefficient
                        storeLanes(v, dxs, j)
                        j += FloatLanes.scalarCount
                    }
                    while j < size {
                        dxs[j] = r * gs[j] * dys[j] + bCoefficient * (xs[j] - m) + dCoefficient
                        j += 1
                    }
                } else {
                    for c in 0..<perGroup {
                        let a = r * gs[c], dyc = dys + c * spatial, xc = xs + c * spatial, dxc = dxs + c * spatial
                        var s = 0
                        while s + FloatLanes.scalarCount <= spatial {
                            storeLanes(a * loadLanes(dyc, s) + bCoefficient * (loadLanes(xc, s) - m) + dCoefficient, dxc, s)
                            s += FloatLanes.scalarCount
                        }
                        while s < spatial {
                            dxc[s] = a * dyc[s] + bCoefficient * (xc[s] - m) + dCoefficient
                            s += 1
                        }
                    }
                }
            }
        }
        if spatial == 1 {
            groupNormParameterGradientsOfRows(pdy, px, pm, pr, pgg, pgb, shape)
        } else {
            parallelFor(shape.channels, grain: max(1, 16_384 / max(1, shape.batch * spatial))) { start, end in
                for c in start..<end {
                    var gammaSum = 0.0, betaSum = 0.0
                    for n in 0..<shape.batch {
                        let offset = (n * shape.channels + c) * spatial, stat = n * shape.groups + c / perGroup
                        let dyc = pdy + offset, xc = px + offset, m = pm[stat]
                        betaSum += blockedSum(spatial, { loadLanes(dyc, $0) }, { dyc[$0] })
                        gammaSum +=
                            Double(pr[stat])
                            * blockedSum(
                                spatial, { loadLanes(dyc, $0) * (loadLanes(xc, $0) - m) },
                                { dyc[$0] * (xc[$0] - m) })
                    }
                    pgg[c] = Float(gammaSum)
                    pgb[c] = Float(betaSum)
                }
            }
        }
    }

    /// gradGamma and gradBeta when spatial = 1: column sums over the batch rows, each thread owning a
    /// range of channels and vectorising across them; Float partials over 256 rows go into Doubles.
    private func groupNormParameterGradientsOfRows(
        _ pdy: UnsafeMutablePointer<Float>, _ px: UnsafeMutablePointer<Float>,
        _ pm: UnsafeMutablePointer<Float>, _ pr: UnsafeMutablePointer<Float>,
        _ pgg: UnsafeMutablePointer<Float>, _ pgb: UnsafeMutablePointer<Float>,
        _ shape: GroupNormShape
    ) {
        let channels = shape.channels, perGroup = channels / shape.groups
        parallelFor(channels, grain: max(16, 65_536 / max(1, shape.batch))) { start, end in
            let width = end - start
            var gammaTotal = [Double](repeating: 0, count: width), betaTotal = [Double](repeating: 0, count: width)
            var gammaPart = [Float](repeating: 0, count: width), betaPart = [Float](repeating: 0, count: width)
            gammaPart.withUnsafeMutableBufferPointer { gp in
                betaPart.withUnsafeMutableBufferPointer { bp in
                    let gpart = gp.baseAddress!, bpart = bp.baseAddress!
                    var n = 0
                    while n < shape.batch {
                        let blockEnd = min(shape.batch, n + 256)
                        gpart.initialize(repeating: 0, count: width)
                        bpart.initialize(repeating: 0, count: width)
                        while n < blockEnd {
                            let dyr = pdy + n * channels + start, xr = px + n * channels + start
                            var j = 0
                            if shape.groups == 1 {
                                let m = pm[n], r = pr[n]
                                while j + FloatLanes.scalarCount <= width {
                                    let dy = loadLanes(dyr, j)
                                    storeLanes(loadLanes(bpart, j) + dy, bpart, j)
                                    storeLanes(loadLanes(gpart, j) + dy * ((loadLanes(xr, j) - m) * r), gpart, j)
                                    j += FloatLanes.scalarCount
                                }
                            }
                            while j < width {
                                let stat = n * shape.groups + (start + j) / perGroup
                                bpart[j] += dyr[j]
                                gpart[j] += dyr[j] * ((xr[j] - pm[stat]) * pr[stat])
                                j += 1
                            }
                            n += 1
                        }
                        for j in 0..<width {
                            gammaTotal[j] += Double(gpart[j])
                            betaTotal[j] += Double(bpart[j])
                        }
                    }
                }
            }
            for j in 0..<width {
                pgg[start + j] = Float(gammaTotal[j])
                pgb[start + j] = Float(betaTotal[j])
            }
        }
    }
}
