/// Deterministic host inputs for parity cases: a small xorshift generator, independent of the
/// device noise sampler so that a bug there cannot hide in the inputs.
public struct ParityInputs {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    public mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// Uniform values in [low, high).
    public mutating func floats(_ count: Int, low: Float = -1, high: Float = 1) -> [Float] {
        (0..<count).map { _ in low + (high - low) * Float(next() >> 40) / Float(1 << 24) }
    }

    /// Integers in 0..<bound.
    public mutating func indices(_ count: Int, below bound: Int) -> [Int32] {
        (0..<count).map { _ in Int32(truncatingIfNeeded: next() % UInt64(max(bound, 1))) }
    }
}

extension Device {
    /// Uploads host values into a new buffer (parity and benchmark helper).
    public func upload(_ values: [Float]) throws -> any DeviceBuffer {
        let buffer = try makeBuffer(byteCount: max(1, values.count) * 4)
        try values.withUnsafeBytes { try write($0, to: buffer, byteOffset: 0) }
        return buffer
    }

    public func upload(_ values: [Int32]) throws -> any DeviceBuffer {
        let buffer = try makeBuffer(byteCount: max(1, values.count) * 4)
        try values.withUnsafeBytes { try write($0, to: buffer, byteOffset: 0) }
        return buffer
    }

    /// Reads `count` Float32 values as Float64.
    public func download(_ buffer: any DeviceBuffer, count: Int) throws -> [Double] {
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBytes { try read(buffer, byteOffset: 0, into: $0) }
        return values.map(Double.init)
    }

    /// Reads `count` Int32 values as Float64.
    public func downloadIndices(_ buffer: any DeviceBuffer, count: Int) throws -> [Double] {
        var values = [Int32](repeating: 0, count: count)
        try values.withUnsafeMutableBytes { try read(buffer, byteOffset: 0, into: $0) }
        return values.map(Double.init)
    }
}
