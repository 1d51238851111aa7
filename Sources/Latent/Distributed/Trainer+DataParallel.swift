import Foundation
import LatentCompute

/// Where the time of data-parallel gradient averaging goes, summed over the steps of a run.
public struct GradientSyncTimes: Sendable {
    /// Steps averaged so far.
    public var steps = 0
    /// Numbers in one step's all-reduce (gradients, loss and metrics).
    public var floatsPerStep = 0
    /// Seconds inside the all-reduce call.
    public var allReduceSeconds = 0.0
    /// Seconds reading gradients to the host, scaling them and writing the averages back.
    public var hostCopySeconds = 0.0

    /// One line for the end of a run: the all-reduce volume and its mean time per step.
    public var summary: String {
        let n = Double(max(steps, 1))
        return String(
            format: "gradient all-reduce: %d numbers (%.2f MB) per step, %.2f ms per step in MPI, %.2f ms host copies",
            floatsPerStep, Double(floatsPerStep) * 4 / 1e6, allReduceSeconds / n * 1e3, hostCopySeconds / n * 1e3)
    }
}

extension Trainer {
    /// Averages the gradients, loss and metrics of this step over the ranks with one all-reduce of a
    /// contiguous buffer. Each rank's values are means over its shard, so they are weighted by the
    /// shard's share of the global batch (`weight`) before summing: the result is the mean over the
    /// global batch, as one process computes it (up to the order of float additions).
    func averageAcrossRanks(
        _ gradients: inout Gradients, parameters: [(String, Tensor)], loss: Float,
        metrics: [(String, Tensor)], weight: Float
    ) throws -> (loss: Float, metrics: [(String, Float)]) {
        try device.synchronize()  // so the host-copy time below excludes an OpenCL queue still running the backward pass
        let start = Date()
        // Parameters that never get a gradient (e.g. an EMA codebook) stay out of the buffer; a
        // presence flag per trained parameter catches ranks that disagree about the others.
        let trained = parameters.filter { $0.1.requiresGrad }
        var buffer: [Float] = []
        buffer.reserveCapacity(trained.reduce(0) { $0 + $1.1.count } + trained.count + metrics.count + 1)
        for (_, p) in trained {
            if let g = gradients[p] {
                buffer.append(contentsOf: try g.toArray().map { $0 * weight })
            } else {
                buffer.append(contentsOf: repeatElement(0, count: p.count))
            }
        }
        for (_, p) in trained { buffer.append(gradients[p] == nil ? 0 : 1) }
        buffer.append(loss * weight)
        for (_, m) in metrics { buffer.append(try m.item() * weight) }
        let reduceStart = Date()
        let sum = try group.allReduceSum(buffer)
        let reduceSeconds = Date().timeIntervalSince(reduceStart)
        var offset = 0, flags = trained.reduce(0) { $0 + $1.1.count }
        for (name, p) in trained {
            defer { (offset, flags) = (offset + p.count, flags + 1) }
            switch Int(sum[flags]) {
            case 0: continue
            case group.size:
                gradients.replace(try Tensor(Array(sum[offset..<(offset + p.count)]), shape: p.shape, on: p.device), for: p)
            default:
                throw DistributedError.mismatchedRanks("parameter \(name) has a gradient on only some of the ranks")
            }
        }
        let averagedLoss = sum[flags]
        let averagedMetrics = metrics.enumerated().map { ($0.element.0, sum[flags + 1 + $0.offset]) }
        gradientSync.steps += 1
        gradientSync.floatsPerStep = buffer.count
        gradientSync.allReduceSeconds += reduceSeconds
        gradientSync.hostCopySeconds += Date().timeIntervalSince(start) - reduceSeconds
        return (averagedLoss, averagedMetrics)
    }

    /// True when every rank wants to go on (`local` is this rank's wish): all ranks stop at the same step.
    func agreeToContinue(_ local: Bool) throws -> Bool {
        guard group.size > 1 else { return local }
        return try group.allReduceSum([local ? 0 : 1])[0] == 0
    }

    /// Makes every rank start from rank 0's weights, buffers, training state and EMA weights (for a
    /// run that does not resume; a resumed run restores the checkpoint rank 0 broadcast instead).
    public func broadcastInitialState() throws {
        guard group.size > 1 else { return }
        let tensors = (model.stateDict() + model.namedTrainingState() + (ema?.shadow ?? [])).filter { $0.1.dtype == .float32 }
        var values: [Float] = []
        if group.isRoot { for (_, t) in tensors { values.append(contentsOf: try t.toArray()) } }
        let bytes = try group.broadcast(values.withUnsafeBytes { Array($0) })
        let expected = tensors.reduce(0) { $0 + $1.1.count }
        guard bytes.count == expected * 4 else {
            throw DistributedError.mismatchedRanks(
                "rank 0's model has \(bytes.count / 4) numbers of state, rank \(group.rank)'s \(expected)")
        }
        let received = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var offset = 0
        for (_, t) in tensors {
            try t.assign(Array(received[offset..<(offset + t.count)]))
            offset += t.count
        }
    }
}

extension Checkpoint {
    /// The checkpoint at `path` on rank 0 (nil: no resume), read there and sent to every rank, so the
    /// other machines need no copy of the file. A read error on rank 0 stops every rank.
    public static func broadcast(readingOnRoot path: String?, group: any ProcessGroup) throws -> Checkpoint? {
        guard group.size > 1 else { return try path.map { try Checkpoint.read($0) } }
        // One byte of status first: 0 no resume, 1 a checkpoint follows, 2 rank 0 failed to read it.
        var message: [UInt8] = [0]
        var failure: (any Error)?, own: Checkpoint?
        if group.isRoot, let path {
            do {
                own = try Checkpoint.read(path)
                message = try [1] + own!.safeTensors().encoded()
            } catch {
                (message, failure) = ([2], error)
            }
        }
        let received = try group.broadcast(message)
        if let failure { throw failure }
        if let own { return own }
        switch received.first {
        case 1:
            let label = path ?? "the checkpoint from rank 0"
            return try Checkpoint(SafeTensors.decode(Array(received.dropFirst()), path: label), path: label)
        case 2: throw DistributedError.mismatchedRanks("rank 0 could not read the checkpoint to resume from (its error says why)")
        default: return nil
        }
    }
}
