import LatentCompute

/// The Diffusion Transformer (Peebles & Xie 2023), layer for layer and name for name the official
/// code's `DiT` (and python/latent_torch/dit.py): x_embedder (patchify) + fixed 2-D sin-cos positions,
/// t_embedder (+ y_embedder with a null class), `depth` adaLN-Zero blocks, final_layer, unpatchify.
/// Built from existing tensor operations only (see the README's DiT section for the fused kernels
/// that would pay off).
public final class DiT: Module, DiffusionDenoiser {
    public let configuration: DiTConfiguration
    public let device: any Device
    public let xEmbedder: DiTPatchEmbed
    public let tEmbedder: DiTTimestepEmbedder
    public let yEmbedder: DiTLabelEmbedder?
    public let blocks: [DiTBlock]
    public let finalLayer: DiTFinalLayer
    /// [1, L, D], fixed (not a parameter, not in the state_dict).
    public let positionEmbedding: Tensor
    private let blockList: IndexedModuleList

    public init(_ configuration: DiTConfiguration = DiTConfiguration(), initializer: ParameterInitializer) throws {
        try configuration.validate()
        self.configuration = configuration
        let c = configuration
        device = initializer.device
        xEmbedder = try DiTPatchEmbed(c, initializer: initializer)
        tEmbedder = try DiTTimestepEmbedder(hiddenSize: c.hiddenSize, initializer: initializer)
        yEmbedder = try c.numClasses.map { try DiTLabelEmbedder(numClasses: $0, hiddenSize: c.hiddenSize, initializer: initializer) }
        blocks = try (0..<c.depth).map { _ in try DiTBlock(c, initializer: initializer) }
        finalLayer = try DiTFinalLayer(c, initializer: initializer)
        positionEmbedding = try Tensor(
            DiTPositionEmbedding.values(dimension: c.hiddenSize, gridSize: c.gridSize),
            shape: [1, c.tokens, c.hiddenSize], on: device)
        blockList = IndexedModuleList(blocks)
    }

    public override var children: [(String, Module)] {
        [("x_embedder", xEmbedder), ("t_embedder", tEmbedder)] + (yEmbedder.map { [("y_embedder", $0)] } ?? [])
            + [("blocks", blockList), ("final_layer", finalLayer)]
    }

    public var nullClass: Int? { configuration.nullClass }
    public var inputShape: [Int] { [configuration.inChannels, configuration.inputSize, configuration.inputSize] }
    public var outputChannels: Int { configuration.outChannels }

    /// The model output [B, C_out, H, W] (ε, then v when learn_sigma) for x [B, C, H, W] at per-sample
    /// timesteps. labels: Int32 [B] (nil: the null class); nullMask: Float [B], 1 where a label becomes
    /// the null class (label dropout). The DiT has no dropout, so `dropoutNoise` is unused.
    public func callAsFunction(
        _ x: Tensor, timesteps: [Int], labels: Tensor? = nil, nullMask: Tensor? = nil,
        dropoutNoise: NoiseStream? = nil
    ) throws -> Tensor {
        let c = configuration
        guard x.rank == 4, Array(x.shape.dropFirst()) == inputShape else {
            throw ComputeError.shapeMismatch("DiT needs [B, \(c.inChannels), \(c.inputSize), \(c.inputSize)], got \(x.shape)")
        }
        let batch = x.shape[0]
        guard timesteps.count == batch else { throw ComputeError.shapeMismatch("DiT: \(timesteps.count) timesteps for a batch of \(batch)") }
        var h = try xEmbedder(x) + positionEmbedding
        var conditioning = try tEmbedder(timesteps, on: x.device)
        if let yEmbedder, let nullClass {
            let table = yEmbedder.table
            func null() throws -> Tensor { try table(Tensor(indices: [Int32(nullClass)], shape: [1], on: x.device)) }
            if let labels {
                guard labels.shape == [batch] else { throw ComputeError.shapeMismatch("DiT labels \(labels.shape) for a batch of \(batch)") }
                var embedded = try table(labels)
                if let nullMask { embedded = try Tensor.select(nullMask.reshaped([batch, 1]), null(), embedded) }
                conditioning = try conditioning + embedded
            } else {
                conditioning = try conditioning + null()
            }
        }
        for block in blocks { h = try block(h, conditioning: conditioning) }
        return try unpatchify(finalLayer(h, conditioning: conditioning))
    }

    /// [N, L, p·p·C] → [N, C, H, W] (the official einsum "nhwpqc->nchpwq").
    func unpatchify(_ x: Tensor) throws -> Tensor {
        let (g, p, c) = (configuration.gridSize, configuration.patchSize, configuration.outChannels)
        let n = x.shape[0]
        return try x.reshaped([n, g, g, p, p, c]).permuted([0, 5, 1, 3, 2, 4]).reshaped([n, c, g * p, g * p])
    }
}
