#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parity cases of the noise kernels, which must agree bit for bit across backends (tolerance 0).
/// The Float64 references rebuild each value from the Philox words: the uniform map exactly, the
/// normal map with libm's log/sqrt/cos/sin (so they also check NoiseMath's polynomials).
/// Offsets cover an unaligned start and a block counter crossing 2³² (block_hi ≠ 0).
extension KernelRegistry {
    public static var randomKernels: [KernelSpec] { [randSpec, randnSpec] }

    /// (count, seed, offset)
    private static let randomShapes: [(Int, UInt64, UInt64)] = [
        (1, 0, 0), (17, 1, 3), (1021, 0xDEAD_BEEF_0123_4567, 5), ((1 << 12) + 3, 42, (1 << 34) - 6),
        (1_000_003, 7, 0),
    ]

    private static var randSpec: KernelSpec {
        KernelSpec(
            .randomUniform, tolerance: 0,
            cases: randomShapes.map { n, seed, offset in
                KernelCase(
                    shape: "\(n) seed \(seed) offset \(offset)", referenceTolerance: 0,
                    run: { device in
                        let out = try ParityCaseKit.buffer(device, n)
                        try device.randomUniform(out, count: n, seed: seed, offset: offset)
                        return [try device.download(out, count: n)]
                    },
                    reference: {
                        [
                            (0..<n).map { i in
                                let e = offset &+ UInt64(i)
                                return Double(Philox4x32.words(seed: seed, block: e >> 2)[Int(e & 3)] >> 8) / 16_777_216
                            }
                        ]
                    })
            })
    }

    private static var randnSpec: KernelSpec {
        KernelSpec(
            .randomNormal, tolerance: 0, benchmarks: randnBenchmark,
            cases: randomShapes.map { n, seed, offset in
                KernelCase(
                    shape: "\(n) seed \(seed) offset \(offset)", referenceTolerance: 1e-11,
                    run: { device in
                        let out = try ParityCaseKit.buffer(device, n)
                        try device.randomNormal(out, count: n, seed: seed, offset: offset, mean: 0.5, std: 2)
                        return [try device.download(out, count: n)]
                    },
                    reference: {
                        [
                            (0..<n).map { i in
                                let e = offset &+ UInt64(i)
                                let lane = Int(e & 3), pair = lane / 2
                                let w = Philox4x32.words(seed: seed, block: e >> 2)
                                let u1 = Double((w[2 * pair] >> 8) + 1) / 16_777_216
                                let u2 = Double(w[2 * pair + 1] >> 8) / 16_777_216
                                let r = (-2 * log(u1)).squareRoot()
                                return 0.5 + 2 * r * (lane % 2 == 0 ? cos(2 * Double.pi * u2) : sin(2 * Double.pi * u2))
                            }
                        ]
                    })
            })
    }
}
