import LatentCompute

/// Codebook maintenance beyond the reference: k-means initialisation and dead-code restart.
extension VectorQuantizer {
    /// Initialises the codebook by k-means on `vectors` [N, D] (encoder outputs): K distinct vectors
    /// chosen with Philox uniforms from `noise` (the K smallest keys; with N < K some repeat), then
    /// `iterations` Lloyd steps, each a `nearestCode` assignment and scatter-adds of the vectors and of
    /// ones; a code left without vectors keeps its centre. With EMA the buffers are set consistently:
    /// cluster_size = the final cluster counts, embed_sum = centre·count, so e_k = m_k/N_k holds.
    public func kmeans(_ vectors: Tensor, iterations: Int, noise: NoiseStream) throws {
        guard vectors.rank == 2, vectors.shape[1] == dimension, vectors.shape[0] > 0 else {
            throw ComputeError.shapeMismatch("k-means of \(vectors.shape) for codes of dimension \(dimension)")
        }
        try withoutGrad {
            let n = vectors.shape[0], device = vectors.device
            let keys = try Tensor.randomUniform([n], seed: noise.seed, offset: noise.take(n), on: device).toArray()
            let order = keys.indices.sorted { keys[$0] < keys[$1] }
            let picks = (0..<codes).map { Int32(order[$0 % n]) }
            var centres = try vectors.gather(Tensor(indices: picks, shape: [codes], on: device))
            let ones = try Tensor.full([n, 1], value: 1, on: device)
            for _ in 0..<iterations {
                let assignment = try nearest(vectors, codebook: centres).indices
                let counts = try ones.scatterAdd(assignment, rows: codes)
                let sums = try vectors.scatterAdd(assignment, rows: codes)
                let means = try sums / counts.apply(.maximum, Tensor.full([], value: 1, on: device))
                centres = try Tensor.select(counts, means, centres)
            }
            let counts = try ones.scatterAdd(nearest(vectors, codebook: centres).indices, rows: codes)
            try embedding.assign(centres)
            if let clusterSize, let embedSum {
                try clusterSize.assign(counts.reshaped(clusterSize.shape))
                let sums = try centres * counts
                try embedSum.assign(sums)
            }
            try stepsSinceUsed.fill(0)
        }
    }

    /// Restarts every code unused for at least `steps` training steps: it becomes one of the recent
    /// encoder outputs (`recentVectors`, the last training batch), picked by a Philox uniform from
    /// `noise`. With EMA its cluster size becomes 1 and its sum the new vector. Reads K numbers to the
    /// host. Returns the number of codes restarted. (An optimizer's moments for the restarted rows are
    /// left as they are.)
    @discardableResult
    public func restartDeadCodes(unusedFor steps: Int, noise: NoiseStream) throws -> Int {
        guard steps > 0, let pool = recentVectors else { return 0 }
        return try withoutGrad {
            let device = embedding.device
            let idle = try stepsSinceUsed.toArray()
            let dead = idle.indices.filter { idle[$0] >= Float(steps) }
            guard !dead.isEmpty else { return 0 }
            let pool = try gatheredOverRanks(pool)
            let draws = try Tensor.randomUniform([dead.count], seed: noise.seed, offset: noise.take(dead.count), on: device).toArray()
            var rows = [Int32](repeating: 0, count: codes), mask = [Float](repeating: 0, count: codes)
            let n = pool.shape[0]
            for (code, u) in zip(dead, draws) {
                rows[code] = Int32(min(n - 1, Int(u * Float(n))))
                mask[code] = 1
            }
            let replacement = try pool.gather(Tensor(indices: rows, shape: [codes], on: device))
            let maskRows = try Tensor(mask, shape: [codes, 1], on: device)
            let table = try Tensor.select(maskRows, replacement, embedding)
            try embedding.assign(table)
            if let clusterSize, let embedSum {
                let sizes = try Tensor.select(maskRows.reshaped([codes]), Tensor.full([], value: 1, on: device), clusterSize)
                try clusterSize.assign(sizes)
                let sums = try Tensor.select(maskRows, replacement, embedSum)
                try embedSum.assign(sums)
            }
            let idleAfter = try stepsSinceUsed * maskRows.reshaped([codes]).affine(scale: -1, shift: 1)
            try stepsSinceUsed.assign(idleAfter)
            return dead.count
        }
    }
}
