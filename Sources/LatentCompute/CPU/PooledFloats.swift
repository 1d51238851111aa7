/// A Float scratch array from the CPU backend's memory pool (`CPUMemoryPool`), returned to it on
/// deinit. Kernels that need megabytes of scratch on every call (Winograd's transformed filters and
/// tiles) take it from here, so its pages stay mapped from call to call instead of being faulted
/// in and cleared again each time malloc hands back fresh memory.
final class PooledFloats {
    let pointer: UnsafeMutablePointer<Float>
    private let capacity: Int

    init(count: Int) {
        let bytes = max(count, 16) * 4
        guard let (raw, capacity) = CPUMemoryPool.shared.allocate(bytes) else {
            fatalError("cannot allocate \(bytes) bytes of CPU scratch")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: capacity / 4)
        self.capacity = capacity
    }

    deinit { CPUMemoryPool.shared.release(UnsafeMutableRawPointer(pointer), capacity: capacity) }
}
