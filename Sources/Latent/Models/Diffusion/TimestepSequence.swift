/// The timesteps a sampler visits, materialised as a list; each step's predecessor is looked up in
/// that list (never recomputed from a stride), so any number of steps gives a consistent chain.
public struct TimestepSequence: Sendable, Equatable {
    /// The visited timesteps in ascending order (the reference's `seq`); iteration runs backwards.
    public let ascending: [Int]

    public init(ascending: [Int]) throws {
        guard let first = ascending.first, first >= 0, zip(ascending, ascending.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw DiffusionError.invalidArgument("a timestep sequence must be non-empty, non-negative and strictly increasing")
        }
        self.ascending = ascending
    }

    /// Every timestep 0..<T (ancestral DDPM sampling).
    public static func full(_ timesteps: Int) throws -> TimestepSequence {
        try TimestepSequence(ascending: Array(0..<timesteps))
    }

    /// `steps` timesteps spread uniformly over 0..<T: ⌊i·T/steps⌋ for i = 0..<steps.
    /// When steps divides T this is the reference's `range(0, T, T // steps)` exactly (50 of 1000:
    /// 0, 20, …, 980). Otherwise the reference's range has more than `steps` entries (7 of 1000 gives
    /// 8: 0, 142, …, 994); this list always has exactly `steps` (7: 0, 142, 285, 428, 571, 714, 857).
    public static func uniform(steps: Int, of timesteps: Int) throws -> TimestepSequence {
        guard steps >= 1, steps <= timesteps else {
            throw DiffusionError.invalidArgument("cannot take \(steps) sampling steps out of \(timesteps) timesteps")
        }
        return try TimestepSequence(ascending: (0..<steps).map { $0 * timesteps / steps })
    }

    public var count: Int { ascending.count }

    /// The sampler's iterations in order: (t, previous timestep in the list, or −1 after the first).
    public var iterations: [(t: Int, previous: Int)] {
        ascending.indices.reversed().map { i in (ascending[i], i > 0 ? ascending[i - 1] : -1) }
    }
}
