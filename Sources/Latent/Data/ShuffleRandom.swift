/// The generator behind data shuffling: SplitMix64, with an unbiased bounded draw (Lemire's
/// multiply-shift with rejection). Written out here rather than using Swift's
/// `shuffled(using:)` so the order depends only on (seed, epoch), never on the standard library
/// version or on thread timing.
struct ShuffleRandom {
    private var state: UInt64

    /// A stream for one epoch of one seed; different (seed, epoch) pairs give unrelated streams.
    init(seed: UInt64, epoch: Int) {
        state = seed
        state = next() ^ (UInt64(truncatingIfNeeded: epoch) &* 0xD1B5_4A32_D192_ED03)
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int {
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A permutation of 0..<count (Fisher–Yates).
    static func permutation(_ count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        var random = ShuffleRandom(seed: seed, epoch: epoch)
        var i = count - 1
        while i > 0 {
            order.swapAt(i, random.below(i + 1))
            i -= 1
        }
        return order
    }
}
