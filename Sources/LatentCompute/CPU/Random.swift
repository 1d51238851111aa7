/// The noise kernels on the CPU backend: `NoiseSampler`'s element map over worker threads.
/// Each chunk computes one Philox block per four elements, so results do not depend on the split.
extension CPUDevice {
    public func randomUniform(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64) throws {
        let o = try cpu(out).floats
        parallelFor(count, grain: 8192) { start, end in
            var block = UInt64.max
            var words = SIMD4<UInt32>()
            for i in start..<end {
                let e = offset &+ UInt64(i)
                if e >> 2 != block || i == start {
                    block = e >> 2
                    words = Philox4x32.words(seed: seed, block: block)
                }
                o[i] = NoiseSampler.uniform(words, lane: Int(e & 3))
            }
        }
    }

    public func randomNormal(_ out: any DeviceBuffer, count: Int, seed: UInt64, offset: UInt64,
                             mean: Float, std: Float) throws {
        let o = try cpu(out).floats
        parallelFor(count, grain: 4096) { start, end in
            var block = UInt64.max
            var words = SIMD4<UInt32>()
            for i in start..<end {
                let e = offset &+ UInt64(i)
                if e >> 2 != block || i == start {
                    block = e >> 2
                    words = Philox4x32.words(seed: seed, block: block)
                }
                o[i] = mean + std * NoiseSampler.standardNormal(words, lane: Int(e & 3))
            }
        }
    }
}
