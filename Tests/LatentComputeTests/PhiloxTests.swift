import Foundation
import Testing
@testable import LatentCompute

/// Philox4x32-10, the element-to-noise map and NoiseMath's polynomials.
@Suite struct PhiloxTests {
    @Test func knownAnswerVectors() {
        // Random123's published kat_vectors for philox4x32_10 (checked with an independent Python port).
        #expect(
            Philox4x32.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(0, 0))
                == SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        #expect(
            Philox4x32.block(counter: SIMD4(repeating: 0xFFFF_FFFF), key: SIMD2(repeating: 0xFFFF_FFFF))
                == SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
        #expect(
            Philox4x32.block(
                counter: SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
                key: SIMD2(0xA409_3822, 0x299F_31D0))
                == SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }

    @Test func wordsUseBlockAsCounterAndSeedAsKey() {
        let seed: UInt64 = 0x0123_4567_89AB_CDEF, block: UInt64 = 0x0000_0004_0000_0007
        #expect(
            Philox4x32.words(seed: seed, block: block)
                == Philox4x32.block(counter: SIMD4(7, 4, 0, 0), key: SIMD2(0x89AB_CDEF, 0x0123_4567)))
    }

    /// The 8-block vector form gives the scalar words, in element order, also where the block's low
    /// word wraps into the high one.
    @Test(arguments: [0, 5, 0xFFFF_FFFC, 0x0000_0004_FFFF_FFFB] as [UInt64])
    func eightBlocksAtOnceEqualTheScalarWords(first: UInt64) {
        let seed: UInt64 = 0x0123_4567_89AB_CDEF
        var words = [UInt32](repeating: 0, count: 32)
        words.withUnsafeMutableBufferPointer { Philox4x32.words8(seed: seed, firstBlock: first, into: $0.baseAddress!) }
        for j in 0..<8 {
            let scalar = Philox4x32.words(seed: seed, block: first + UInt64(j))
            #expect(Array(words[(4 * j)..<(4 * j + 4)]) == [scalar[0], scalar[1], scalar[2], scalar[3]], "block \(j)")
        }
    }

    /// Values of the independent float32 re-implementation in numpy (python/latent_torch/philox.py,
    /// printed by tools/pin_noise_values.py), seed 0x0123456789ABCDEF: uniform, normal(0, 1) and
    /// normal(0.5, 2) bit patterns. Elements 16 and 26 are ones whose normal value changed in the last
    /// bit when the multiply-adds became explicit fused multiply-adds (before: 0x3ED51CDD, 0xBFA0C340).
    @Test func elementMapIsPinned() {
        let seed: UInt64 = 0x0123_4567_89AB_CDEF
        let pinned: [(UInt64, UInt32, UInt32, UInt32)] = [
            (0, 0x3F38_5022, 0x3DE1_6BE1, 0x3F38_5AF8), (1, 0x3F45_8CB0, 0xBF4D_97EB, 0xBF8D_97EB),
            (2, 0x3DA5_3D00, 0xC00E_4DB2, 0xC07C_9B64), (3, 0x3EF5_09FE, 0x3E9A_0FCF, 0x3F8D_07E8),
            (4, 0x3F2D_CA14, 0xBEC3_17AB, 0xBE86_2F56), (5, 0x3EA4_7C1A, 0x3F4B_1BEC, 0x4005_8DF6),
            ((1 << 34) + 1, 0x3EB3_BA7E, 0x3EEC_2E8A, 0x3FB6_1745), (16, 0x3F20_2A30, 0x3ED5_1CDE, 0x3FAA_8E6F),
            (26, 0x3E7F_4900, 0xBFA0_C341, 0xC000_C341),
        ]
        for (e, u, z, n) in pinned {
            #expect(NoiseSampler.uniform(seed: seed, element: e).bitPattern == u, "uniform element \(e)")
            #expect(NoiseSampler.normal(seed: seed, element: e).bitPattern == z, "normal element \(e)")
            #expect(NoiseSampler.normal(seed: seed, element: e, mean: 0.5, std: 2).bitPattern == n, "normal(0.5, 2) element \(e)")
        }
    }

    /// FNV-1a (one 32-bit word per step) of the bit patterns of two normal draws, 69 635 values, as
    /// tools/pin_noise_values.py computes it from the numpy twin: the CPU kernel, and the OpenCL kernel
    /// where a device is present, match the Python twin bit for bit over every one of them.
    @Test func normalDrawsMatchThePythonTwinBitForBit() throws {
        let draws: [(seed: UInt64, offset: UInt64, count: Int, mean: Float, std: Float)] = [
            (0x0123_4567_89AB_CDEF, 0, 1 << 16, 0, 1), (42, (1 << 34) - 6, 4099, 0.5, 2),
        ]
        var devices: [any Device] = [CPUDevice(threads: 2)]
        if let gpu = try? openCLDevice() { devices.append(gpu) }
        for device in devices {
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for draw in draws {
                let out = try device.makeBuffer(byteCount: draw.count * 4)
                try device.randomNormal(
                    out, count: draw.count, seed: draw.seed, offset: draw.offset, mean: draw.mean, std: draw.std)
                for value in try device.download(out, count: draw.count) {
                    hash = (hash ^ UInt64(Float(value).bitPattern)) &* 0x100_0000_01B3
                }
            }
            #expect(hash == 0xA36B_05AD_BBE8_7F74, "\(device.name): digest \(String(hash, radix: 16))")
        }
    }

    @Test func uniformIsTheTopBitsOfTheLaneWord() {
        let seed: UInt64 = 99
        for e in UInt64(0)..<64 {
            let w = Philox4x32.words(seed: seed, block: e / 4)
            #expect(NoiseSampler.uniform(seed: seed, element: e) == Float(w[Int(e % 4)] >> 8) / 16_777_216)
        }
    }

    @Test(arguments: [1, 2, 3, 5, 4096, (1 << 34) - 3] as [UInt64])
    func offsetShiftsTheDraw(offset: UInt64) throws {
        let cpu = CPUDevice(threads: 2)
        let n = 40_000
        let base = try cpu.makeBuffer(byteCount: (n + Int(min(offset, 10_000))) * 4)
        let shifted = try cpu.makeBuffer(byteCount: n * 4)
        for normal in [false, true] {
            if offset <= 10_000 {
                let total = n + Int(offset)
                if normal {
                    try cpu.randomNormal(base, count: total, seed: 5, offset: 0, mean: 0, std: 1)
                } else {
                    try cpu.randomUniform(base, count: total, seed: 5, offset: 0)
                }
                if normal {
                    try cpu.randomNormal(shifted, count: n, seed: 5, offset: offset, mean: 0, std: 1)
                } else {
                    try cpu.randomUniform(shifted, count: n, seed: 5, offset: offset)
                }
                let a = try cpu.download(base, count: total), b = try cpu.download(shifted, count: n)
                #expect(Array(a[Int(offset)...]) == b)
            } else {
                // Far offsets: compare with the per-element map.
                if normal {
                    try cpu.randomNormal(shifted, count: n, seed: 5, offset: offset, mean: 0, std: 1)
                } else {
                    try cpu.randomUniform(shifted, count: n, seed: 5, offset: offset)
                }
                let b = try cpu.download(shifted, count: n)
                for i in stride(from: 0, to: n, by: 97) {
                    let e = offset + UInt64(i)
                    let expected = normal ? NoiseSampler.normal(seed: 5, element: e) : NoiseSampler.uniform(seed: 5, element: e)
                    #expect(b[i] == Double(expected))
                }
            }
        }
    }

    @Test func drawDoesNotDependOnThreadCount() throws {
        let n = 100_003
        var results: [[Double]] = []
        for threads in [1, 2, 3] {
            let cpu = CPUDevice(threads: threads)
            let out = try cpu.makeBuffer(byteCount: n * 4)
            try cpu.randomNormal(out, count: n, seed: 11, offset: 1, mean: 0, std: 1)
            results.append(try cpu.download(out, count: n))
        }
        #expect(results[0] == results[1] && results[1] == results[2])
    }

    @Test func seedsAndLanesDiffer() {
        let a = (0..<8).map { NoiseSampler.uniform(seed: 1, element: UInt64($0)) }
        let b = (0..<8).map { NoiseSampler.uniform(seed: 2, element: UInt64($0)) }
        let c = (0..<8).map { NoiseSampler.uniform(seed: 1 << 32, element: UInt64($0)) }
        #expect(Set(a).count == 8)
        #expect(a != b && a != c && b != c)
    }

    /// Standard normal CDF.
    private static func phi(_ x: Double) -> Double { 0.5 * (1 + erf(x / 2.0.squareRoot())) }

    /// Largest |empirical CDF − cdf| at the edges of a fine grid (a Kolmogorov–Smirnov bound on a grid).
    private static func gridKS(_ values: [Double], low: Double, high: Double, bins: Int, cdf: (Double) -> Double) -> Double {
        var counts = [Int](repeating: 0, count: bins + 2)
        let width = (high - low) / Double(bins)
        for v in values {
            let b = v < low ? 0 : v >= high ? bins + 1 : 1 + min(bins - 1, Int((v - low) / width))
            counts[b] += 1
        }
        var running = counts[0], worst = abs(Double(running) / Double(values.count) - cdf(low))
        for b in 1...bins {
            running += counts[b]
            worst = max(worst, abs(Double(running) / Double(values.count) - cdf(low + Double(b) * width)))
        }
        return worst
    }

    @Test func normalsAreStandardNormal() throws {
        let cpu = CPUDevice.shared
        let n = 1 << 20
        let out = try cpu.makeBuffer(byteCount: n * 4)
        try cpu.randomNormal(out, count: n, seed: 2024, offset: 0, mean: 0, std: 1)
        let z = try cpu.download(out, count: n)
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let fourth = z.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
        // Standard errors: mean 0.001, variance 0.0014, fourth moment 0.01.
        #expect(abs(mean) < 0.005)
        #expect(abs(variance - 1) < 0.007)
        #expect(abs(fourth - 3) < 0.05)
        // 5% KS critical value at n = 2^20 is 0.0013; a broken transform is off by far more.
        let ks = Self.gridKS(z, low: -5, high: 5, bins: 200, cdf: Self.phi)
        #expect(ks < 0.002, "grid KS distance \(ks)")
        #expect(z.allSatisfy { $0.isFinite && abs($0) < 6.5 })
        // Neighbouring elements (same Box–Muller pair, across pairs, across blocks) are uncorrelated.
        for lag in [1, 2, 4] {
            let r = (0..<(n - lag)).reduce(0.0) { $0 + z[$1] * z[$1 + lag] } / Double(n - lag)
            #expect(abs(r) < 0.005, "lag \(lag) correlation \(r)")
        }
    }

    @Test func uniformsAreUniform() throws {
        let cpu = CPUDevice.shared
        let n = 1 << 20
        let out = try cpu.makeBuffer(byteCount: n * 4)
        try cpu.randomUniform(out, count: n, seed: 77, offset: 12345)
        let u = try cpu.download(out, count: n)
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = u.reduce(0, +) / Double(n)
        #expect(abs(mean - 0.5) < 0.002)
        let ks = Self.gridKS(u, low: 0, high: 1, bins: 256, cdf: { $0 })
        #expect(ks < 0.002, "grid KS distance \(ks)")
    }

    @Test func noiseMathLog() {
        var worst = 0.0
        // Every u1 the sampler can produce is k·2^-24; sample k densely plus other magnitudes.
        var xs: [Float] = stride(from: 1, through: 1 << 24, by: 997).map { Float($0) * 0x1p-24 }
        xs += [0x1p-24, 1 - 0x1p-24, 1, 0.5, 2, 1.4142135, 0.70710677, 1e-30, 3e-20, 7.5, 1e10, 3.4e38]
        for x in xs {
            let exact = Foundation.log(Double(x))
            let err = abs(Double(NoiseMath.log(x)) - exact) / max(abs(exact), 1e-30)
            worst = max(worst, err)
        }
        #expect(worst < 2e-6, "worst relative error \(worst)")
        #expect(NoiseMath.log(1) == 0)
    }

    @Test func noiseMathSqrt() {
        var worst = 0.0
        var xs: [Float] = stride(from: 0, through: 40, by: 0.0137).map { Float($0) }
        xs += [1.2e-7, 1e-20, 1, 4, 2, 33.27, 1e20, 3e38]
        for x in xs where x > 0 {
            let exact = Double(x).squareRoot()
            worst = max(worst, abs(Double(NoiseMath.sqrt(x)) - exact) / exact)
        }
        #expect(worst < 2e-6, "worst relative error \(worst)")
        #expect(NoiseMath.sqrt(0) == 0)
        #expect(abs(NoiseMath.sqrt(4) - 2) <= 2.4e-7)
    }

    @Test func noiseMathSinCos() {
        var worst = 0.0
        for w in stride(from: UInt32(0), to: 1 << 24, by: 331) + [0, 1 << 22, 1 << 23, 3 << 22, (1 << 24) - 1, 0x20_0000, 0x1F_FFFF] {
            let angle = 2 * Double.pi * Double(w) / 16_777_216
            let (s, c) = NoiseMath.sinCos(turns24: w)
            worst = max(worst, abs(Double(s) - sin(angle)), abs(Double(c) - cos(angle)))
        }
        #expect(worst < 2e-6, "worst absolute error \(worst)")
        #expect(NoiseMath.sinCos(turns24: 0) == (sin: 0, cos: 1))
    }
}
