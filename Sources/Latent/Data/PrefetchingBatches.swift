import Foundation

/// Batches prepared on a background thread, handed out in order through a bounded queue.
///
/// The producer thread computes the batches in stream order from `BatchLoader.batch(at:order:)`,
/// which depends only on the position, so the sequence is identical to calling `batch(at:)` one by
/// one, whatever the thread timing. The queue holds at most `capacity` batches; the producer waits
/// when it is full. Dropping the iterator (or calling `cancel()`) stops the thread. Iterate it from
/// one thread (it is not `Sendable`); the shared queue inside is locked.
public final class PrefetchingBatches: Sequence, IteratorProtocol {
    private let queue: BatchQueue

    init(loader: BatchLoader, start: BatchPosition, endEpoch: Int?, capacity: Int) {
        let queue = BatchQueue(capacity: capacity)
        self.queue = queue
        let thread = Thread {
            var position = start
            var epochOrder: (epoch: Int, order: [Int])? = nil
            while loader.batchesPerEpoch > 0, endEpoch.map({ position.epoch < $0 }) ?? true, position.batch < loader.batchesPerEpoch {
                if epochOrder?.epoch != position.epoch {
                    epochOrder = (position.epoch, loader.order(epoch: position.epoch))
                }
                let result = Result { try loader.batch(at: position, order: epochOrder!.order) }
                guard queue.push(result) else { break }
                position = loader.position(after: position)
            }
            queue.finish()
        }
        thread.name = "latent.batch-prefetch"
        thread.start()
    }

    deinit { queue.cancel() }

    /// The next batch, waiting for the producer if needed; nil at the end. A failure to build a
    /// batch (only possible for an invalid start position) ends the stream; see `nextBatch()`.
    public func next() -> Batch? { try? nextBatch() }

    /// The next batch or nil at the end, rethrowing a producer error.
    public func nextBatch() throws -> Batch? { try queue.pop()?.get() }

    /// Stops the producer; later calls to `next()` return what is already queued, then nil.
    public func cancel() { queue.cancel() }
}

/// The bounded, locked queue between the producer thread and the consumer.
/// `@unchecked Sendable`: every access to the mutable state happens with `condition` locked.
private final class BatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Result<Batch, any Error>] = []
    private var finished = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Appends, waiting while full; false when cancelled (the producer should stop).
    func push(_ item: Result<Batch, any Error>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Removes the oldest item, waiting while empty; nil once finished (or cancelled) and drained.
    func pop() -> Result<Batch, any Error>? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished && !cancelled { condition.wait() }
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        if case .failure = item { cancelled = true }
        return item
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
