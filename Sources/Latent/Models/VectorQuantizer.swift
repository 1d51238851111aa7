import LatentCompute

/// Nearest-codebook quantisation with a straight-through gradient, as the reference `VectorQuantizer`
/// (state_dict: `embedding` [K, D]; with EMA also the buffers `cluster_size` [K] and `embed_sum` [K, D]).
///
/// The search is the fused `nearestCode` kernel over the flattened [N·H·W, D] encoder outputs; z_q is a
/// gather of the winning rows. Loss (mean over elements): ‖sg[z_e] − e‖² + β‖z_e − sg[e]‖², the first
/// term dropped with EMA. The EMA update of theory.md runs inside the training-mode forward, after the
/// gather, exactly where the reference runs it (so the loss of that forward uses the old codebook):
///   N_k ← γN_k + (1−γ)n_k,  m_k ← γm_k + (1−γ)Σ z_e,  e_k = m_k / Ñ_k,  Ñ_k = (N_k + ε)/(n + Kε)·n,
/// with n_k and Σ z_e from scatter-adds of ones and of the vectors; everything stays on the device.
///
/// Beyond the reference: dead-code restart (`restartDeadCodes`) and k-means initialisation (`kmeans`).
public final class VectorQuantizer: Module {
    public let codes: Int, dimension: Int
    public let beta: Float, ema: Bool, decay: Float, epsilon: Float
    /// The codebook [K, D]: a parameter with a gradient, or updated by EMA (then no gradient).
    public let embedding: Tensor
    /// EMA cluster sizes N_k [K] (nil without EMA).
    public let clusterSize: Tensor?
    /// EMA sums m_k [K, D] (nil without EMA).
    public let embedSum: Tensor?
    /// Training steps since each code was last chosen [K], for dead-code restart. Training state, not a
    /// buffer: checkpoints keep it next to the optimizer state, so a resumed run restarts the same codes.
    public private(set) var stepsSinceUsed: Tensor
    /// The encoder outputs of the last training-mode forward [N, D], the pool restarted codes come from.
    public private(set) var recentVectors: Tensor?
    /// The ranks of a data-parallel run: training-mode counts, EMA sums and restart pools are summed
    /// or gathered over them, so every rank updates the codebook as one process would (nil: alone).
    public var group: (any ProcessGroup)?

    /// The reference initialisation: embedding U(−1/K, 1/K); with EMA cluster_size 0, embed_sum = embedding.
    public init(
        codes: Int, dimension: Int, beta: Float = 0.25, ema: Bool = false, decay: Float = 0.99,
        epsilon: Float = 1e-5, initializer: ParameterInitializer
    ) throws {
        (self.codes, self.dimension, self.beta, self.ema, self.decay, self.epsilon) = (codes, dimension, beta, ema, decay, epsilon)
        let table = try initializer.uniform([codes, dimension], bound: 1 / Float(codes))
        embedding = ema ? table.detached() : table
        if ema {
            clusterSize = try Tensor.zeros([codes], on: initializer.device)
            let sums = try Tensor.empty([codes, dimension], on: initializer.device)
            try sums.assign(table)
            embedSum = sums
        } else {
            (clusterSize, embedSum) = (nil, nil)
        }
        stepsSinceUsed = try Tensor.zeros([codes], on: initializer.device)
    }

    public override var localParameters: [(String, Tensor)] { [("embedding", embedding)] }
    public override var localBuffers: [(String, Tensor)] {
        guard let clusterSize, let embedSum else { return [] }
        return [("cluster_size", clusterSize), ("embed_sum", embedSum)]
    }
    public override var localTrainingState: [(String, Tensor)] { [("steps_since_used", stepsSinceUsed)] }

    /// Quantises z_e [B, D, H, W].
    public func callAsFunction(_ encoded: Tensor) throws -> Quantized {
        guard encoded.rank == 4, encoded.shape[1] == dimension else {
            throw ComputeError.shapeMismatch("VectorQuantizer(D = \(dimension)) of \(encoded.shape)")
        }
        let (b, h, w) = (encoded.shape[0], encoded.shape[2], encoded.shape[3])
        let flat = try encoded.permuted([0, 2, 3, 1]).reshaped([b * h * w, dimension])
        let indices = try nearestCodes(flat)
        let quantized = try embedding.gather(indices)
        let counts = try withoutGrad {
            let local = try Tensor.full([flat.shape[0], 1], value: 1, on: flat.device).scatterAdd(indices, rows: codes).reshaped([codes])
            return try training ? summedOverRanks(local) : local
        }
        if training {
            try withoutGrad {
                if ema { try emaUpdate(flat: flat.detached(), indices: indices, counts: counts) }
                stepsSinceUsed = try (stepsSinceUsed + 1) * counts.apply(.equal, Tensor.zeros([], on: counts.device))
            }
            recentVectors = flat.detached()
        }
        let commitment = try Tensor.mseLoss(flat, quantized.detached())
        let loss =
            try ema
            ? commitment * beta
            : Tensor.mseLoss(quantized, flat.detached()) + commitment * beta
        let straightThrough = try flat.straightThrough(quantized)
        let (perplexity, usage) = try withoutGrad { try Self.codeStatistics(counts) }
        return Quantized(
            quantized: try straightThrough.reshaped([b, h, w, dimension]).permuted([0, 3, 1, 2]),
            loss: loss, perplexity: perplexity, usage: usage,
            indices: try indices.reshaped([b, h, w]), counts: counts)
    }

    /// The nearest code of each row of `vectors` [N, D] (Int32 [N]), by the fused device kernel.
    public func nearestCodes(_ vectors: Tensor) throws -> Tensor {
        try nearest(vectors, codebook: embedding).indices
    }

    func nearest(_ vectors: Tensor, codebook: Tensor) throws -> (indices: Tensor, distances: Tensor) {
        try vectors.nearestCode(in: codebook)
    }

    /// Codebook perplexity exp(−Σ p log(p + 1e−10)) (as the reference) and the fraction of codes used,
    /// from per-code counts [K].
    static func codeStatistics(_ counts: Tensor) throws -> (perplexity: Tensor, usage: Tensor) {
        let probabilities = try counts / counts.sum()
        let entropy = try (probabilities * (probabilities + 1e-10).log()).sum().neg()
        let used = try counts.apply(.greater, Tensor.zeros([], on: counts.device)).mean()
        return (try entropy.exp(), used)
    }

    /// One EMA step from this batch's vectors, assignments and per-code counts (in place, on the device).
    func emaUpdate(flat: Tensor, indices: Tensor, counts: Tensor) throws {
        guard let clusterSize, let embedSum else { return }
        let sums = try summedOverRanks(flat.scatterAdd(indices, rows: codes))
        try clusterSize.assignAxpby(decay, clusterSize, 1 - decay, counts.reshaped(clusterSize.shape))
        try embedSum.assignAxpby(decay, embedSum, 1 - decay, sums)
        try refreshEmbeddingFromEMA()
    }

    /// e_k = m_k / Ñ_k with Laplace-smoothed sizes Ñ_k = (N_k + ε)/(n + Kε)·n, n = Σ N_k.
    func refreshEmbeddingFromEMA() throws {
        guard let clusterSize, let embedSum else { return }
        let n = try clusterSize.sum()
        let smoothed = try (clusterSize + epsilon) / (n + Float(codes) * epsilon) * n
        let table = try embedSum / smoothed.reshaped([codes, 1])
        try embedding.assign(table)
    }
}

/// The result of quantising one batch.
public struct Quantized {
    /// z_q with the straight-through gradient, [B, D, H, W].
    public let quantized: Tensor
    /// Codebook + β·commitment (β·commitment only with EMA), a scalar.
    public let loss: Tensor
    /// exp(entropy of the batch's code histogram), between 1 and K.
    public let perplexity: Tensor
    /// Fraction of the K codes chosen at least once in the batch.
    public let usage: Tensor
    /// The chosen codes, Int32 [B, H, W].
    public let indices: Tensor
    /// Vectors per code [K].
    public let counts: Tensor
}
