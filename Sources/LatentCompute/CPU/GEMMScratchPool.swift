import Foundation

/// Keeps SGEMM packing buffers between calls. Buffers of a few MB come from mmap and go back to
/// the OS on free, so allocating them per call costs a page fault per 4 KB on every product
/// (about 3% of a 1024³ SGEMM); reusing them keeps the pages mapped.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()
    /// More idle buffers than threads are rarely useful; beyond this the oldest are freed.
    private static let limit = 8
    private let lock = NSLock()
    private var idle: [SGEMMKernel.Scratch] = []

    /// A buffer pair holding at least these many floats, reused when one is idle.
    func take(aCount: Int, bCount: Int) -> SGEMMKernel.Scratch {
        lock.lock()
        defer { lock.unlock() }
        if let index = idle.firstIndex(where: { $0.aCapacity >= aCount && $0.bCapacity >= bCount }) {
            return idle.remove(at: index)
        }
        return SGEMMKernel.Scratch(aCount: aCount, bCount: bCount)
    }

    func give(_ scratch: SGEMMKernel.Scratch) {
        lock.lock()
        defer { lock.unlock() }
        idle.append(scratch)
        if idle.count > Self.limit { idle.removeFirst() }
    }
}
