import Foundation

/// Recycles the CPU backend's large buffers. Training allocates and frees the same activation
/// sizes every step; glibc returns blocks above its mmap threshold to the OS on free, so without
/// reuse every step pays a page fault and a page clear per 4 KB touched (40% of a
/// training step in the kernel). Blocks are kept by size class (quarter powers of two, so at most
/// 25% slack) up to `limitBytes` of idle memory; beyond that they are freed.
final class CPUMemoryPool: @unchecked Sendable {
    static let shared = CPUMemoryPool()
    /// Smaller blocks come from malloc's own free lists cheaply.
    static let minimumPooledBytes = 1 << 16
    let limitBytes: Int
    private let lock = NSLock()
    private var idle: [Int: [UnsafeMutableRawPointer]] = [:]
    private var idleBytes = 0

    init(limitBytes: Int = 1 << 30) { self.limitBytes = limitBytes }

    /// The capacity actually reserved for a request of `bytes` (64-byte multiple).
    static func sizeClass(_ bytes: Int) -> Int {
        let rounded = (max(bytes, 1) + 63) / 64 * 64
        guard rounded >= minimumPooledBytes else { return rounded }
        let step = 1 << (Int.bitWidth - rounded.leadingZeroBitCount - 3)  // a quarter of the top power of two
        return (rounded + step - 1) / step * step
    }

    func allocate(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int)? {
        let capacity = Self.sizeClass(bytes)
        if capacity >= Self.minimumPooledBytes {
            lock.lock()
            if let pointer = idle[capacity]?.popLast() {
                idleBytes -= capacity
                lock.unlock()
                return (pointer, capacity)
            }
            lock.unlock()
        }
        guard let raw = aligned_alloc(64, capacity) else { return nil }
        return (raw, capacity)
    }

    func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        if capacity >= Self.minimumPooledBytes {
            lock.lock()
            if idleBytes + capacity <= limitBytes {
                idle[capacity, default: []].append(pointer)
                idleBytes += capacity
                lock.unlock()
                return
            }
            lock.unlock()
        }
        free(pointer)
    }
}
