import Foundation
import Testing
@testable import Latent
import LatentCompute

@Suite struct VQVAETests {
    typealias S = ModelTestSupport

    /// The fixture's reference weights in a Latent model on `device` (EMA buffers as the reference
    /// initialises them: cluster_size 0, embed_sum = embedding).
    func referenceModel(ema: Bool = false, on device: any Device) throws -> (VQVAE, SafeTensors) {
        let file = try S.file("vq_reference.safetensors")
        let model = try VQVAE(config: VQVAEConfig(ema: ema), initializer: ParameterInitializer(seed: 1, device: device))
        var weights = try S.weights(file)
        if ema {
            let embedding = try #require(weights["vq.embedding"])
            weights["vq.embed_sum"] = embedding
            weights["vq.cluster_size"] = ([256], [Float](repeating: 0, count: 256))
        }
        try model.load(weights)
        return (model, file)
    }

    @Test func namesShapesAndParameterCountMatchTheReference() throws {
        let file = try S.file("vq_reference.safetensors")
        for ema in [false, true] {
            let model = try VQVAE(config: VQVAEConfig(ema: ema), initializer: ParameterInitializer(seed: 1, device: CPUDevice.shared))
            let keys = try #require(file.metadata?[ema ? "keys_ema" : "keys"]).split(separator: ",").map(String.init)
            // Module.stateDict() lists buffers after all parameters; PyTorch interleaves them by module.
            let buffers = model.namedBuffers().map(\.0)
            #expect(buffers == (ema ? ["vq.cluster_size", "vq.embed_sum"] : []))
            #expect(model.namedParameters().map(\.0) == keys.filter { !buffers.contains($0) })
            #expect(Set(model.stateDict().map(\.0)) == Set(keys))
            for (name, tensor) in model.stateDict() where file[name] != nil { #expect(file[name]?.shape == tensor.shape, "\(name)") }
            #expect(model.parameterCount == Int(try #require(file.metadata?["parameters"])))
            #expect(model.parameterCount == 297_409)
            // With EMA the codebook is not trained by gradients.
            #expect(model.vq.embedding.requiresGrad == !ema)
        }
    }

    @Test func matchesPyTorchLossCodesAndGradients() throws {
        let (model, file) = try referenceModel(on: CPUDevice.shared)
        let x = try S.images(file, "images", on: CPUDevice.shared)
        let result = try model.loss(images: x)
        #expect(try result.indices.toIndices() == file["fixture.indices"]!.int32s())
        #expect(S.relative(try result.loss.item(), try S.scalar(file, "loss")) < 1e-4)
        #expect(S.relative(try result.reconstruction.item(), try S.scalar(file, "rec")) < 1e-4)
        #expect(S.relative(try result.vq.item(), try S.scalar(file, "vq")) < 1e-4)
        #expect(S.relative(try result.perplexity.item(), try S.scalar(file, "perplexity")) < 1e-4)
        let compared = try S.compareFixtureGradients(file, model, result.loss.backward())
        #expect(compared == 6)
    }

    /// One training-mode forward with EMA: the loss uses the old codebook, then the buffers and the
    /// codebook take the reference's EMA step.
    @Test func emaUpdateMatchesPyTorch() throws {
        let (model, file) = try referenceModel(ema: true, on: CPUDevice.shared)
        model.train()
        let result = try model.loss(images: S.images(file, "images", on: CPUDevice.shared))
        #expect(S.relative(try result.loss.item(), try S.scalar(file, "ema.loss")) < 1e-4)
        #expect(S.relative(try result.reconstruction.item(), try S.scalar(file, "ema.rec")) < 1e-4)
        let vq = model.vq
        #expect(S.nmse(try #require(vq.clusterSize).toArray(), try S.floats(file, "ema.cluster_size")) < 1e-10)
        #expect(S.nmse(try #require(vq.embedSum).toArray(), try S.floats(file, "ema.embed_sum")) < 1e-10)
        #expect(S.nmse(try vq.embedding.toArray(), try S.floats(file, "ema.embedding")) < 1e-8)
        // In eval mode nothing moves.
        model.eval()
        let before = try vq.embedding.toArray()
        _ = try model.loss(images: S.images(file, "images", on: CPUDevice.shared))
        #expect(try vq.embedding.toArray() == before)
    }

    @Test func oneTrainingStepAgreesOnCPUAndOpenCL() throws {
        var results: [(loss: Float, gradients: [String: [Float]])] = []
        for device in [CPUDevice.shared, try S.openCL()] {
            let (model, file) = try referenceModel(on: device)
            results.append(try S.step(model, images: S.images(file, "images", on: device), noise: NoiseStream(seed: 4), optimizer: nil))
        }
        #expect(S.relative(results[1].loss, results[0].loss) < 1e-5)
        #expect(results[0].gradients.count == 13)
        for (name, g) in results[0].gradients {
            let other = try #require(results[1].gradients[name])
            #expect(S.nmse(other, g) < 1e-9, "\(name): nmse \(S.nmse(other, g))")
        }
    }

    @Test func trainingCurveAgreesOnCPUAndOpenCLAndDecreases() throws {
        let data = try S.dataset(S.file("vae_reference.safetensors"), "curve_images")
        let steps = 60
        let config = VQVAEConfig(ema: true, restartAfter: 5, restartEvery: 10, kmeansInit: true).json
        let cpu = try S.curve(
            VQVAE(configJSON: config, device: CPUDevice.shared, seed: 8), dataset: data, steps: steps,
            device: CPUDevice.shared)
        let device = try S.openCL()
        let gpu = try S.curve(VQVAE(configJSON: config, device: device, seed: 8), dataset: data, steps: steps, device: device)
        let worst = zip(cpu, gpu).map { S.relative($1, $0) }.max()!
        #expect(worst < 1e-2, "largest relative loss difference \(worst)")
        let first = cpu[0], last = cpu.suffix(8).reduce(0, +) / 8
        #expect(last < 0.5 * first, "loss \(first) → \(last)")
    }

    /// Four well-separated clusters: k-means with K = 4 finds their means; EMA buffers stay consistent.
    @Test func kmeansInitialisationFindsClusters() throws {
        let device = CPUDevice.shared
        let centres: [[Float]] = [[5, 0, 0], [0, 5, 0], [0, 0, 5], [-5, -5, -5]]
        let jitter = try Tensor.randomNormal([40, 3], seed: 2, std: 0.1, on: device).toArray()
        var points = [Float]()
        for i in 0..<40 { for d in 0..<3 { points.append(centres[i % 4][d] + jitter[i * 3 + d]) } }
        let vq = try VectorQuantizer(codes: 4, dimension: 3, ema: true, initializer: ParameterInitializer(seed: 3, device: device))
        try vq.kmeans(Tensor(points, shape: [40, 3], on: device), iterations: 5, noise: NoiseStream(seed: 7))
        let table = try vq.embedding.toArray()
        for (c, centre) in centres.enumerated() {
            var mean = [Float](repeating: 0, count: 3)
            for i in stride(from: c, to: 40, by: 4) { for d in 0..<3 { mean[d] += points[i * 3 + d] / 10 } }
            let found = (0..<4).contains { k in (0..<3).allSatisfy { abs(table[k * 3 + $0] - mean[$0]) < 1e-4 } }
            #expect(found, "cluster \(centre) not found in \(table)")
        }
        #expect(try #require(vq.clusterSize).toArray() == [10, 10, 10, 10])
        #expect(S.nmse(try #require(vq.embedSum).toArray(), table.map { $0 * 10 }) < 1e-12)
    }

    /// Codes never chosen for `restartAfter` steps are moved onto recent encoder outputs.
    @Test func deadCodesRestartOnRecentVectors() throws {
        let device = CPUDevice.shared
        let vq = try VectorQuantizer(codes: 6, dimension: 2, ema: true, initializer: ParameterInitializer(seed: 3, device: device))
        // Codes 0 and 1 near the data, 2…5 far away.
        let codebook: [Float] = [1, 1, -1, -1, 50, 50, 60, 60, 70, 70, 80, 80]
        try vq.load([
            "embedding": ([6, 2], codebook), "embed_sum": ([6, 2], codebook),
            "cluster_size": ([6], [Float](repeating: 1, count: 6)),
        ])
        let z = try Tensor([1.1, 0.9, -1.2, -0.8, 0.8, 1.3, -0.9, -1.1], shape: [1, 2, 2, 2], on: device)
        vq.train()
        for _ in 0..<2 { _ = try vq(z) }
        let before = try vq.embedding.toArray()
        #expect(try vq.stepsSinceUsed.toArray() == [0, 0, 2, 2, 2, 2])
        #expect(try vq.restartDeadCodes(unusedFor: 3, noise: NoiseStream(seed: 1)) == 0)
        #expect(try vq.restartDeadCodes(unusedFor: 2, noise: NoiseStream(seed: 1)) == 4)
        let table = try vq.embedding.toArray(), pool = try #require(vq.recentVectors).toArray()
        #expect(table[0..<4] == before[0..<4])
        for k in 2..<6 {
            let row = Array(table[(k * 2)..<(k * 2 + 2)])
            #expect((0..<4).contains { Array(pool[($0 * 2)..<($0 * 2 + 2)]) == row }, "code \(k) = \(row)")
        }
        #expect(try vq.stepsSinceUsed.toArray() == [0, 0, 0, 0, 0, 0])
        #expect(try #require(vq.clusterSize).toArray()[2...] == [1, 1, 1, 1])
    }

    /// The idle-code counters are training state: saved next to the optimizer state (not in the
    /// state_dict) and restored on resume; a checkpoint written before they were saved still resumes,
    /// with the counters at zero.
    @Test func idleCountersTravelInCheckpoints() throws {
        let device = CPUDevice.shared
        let data = try S.dataset(S.file("vae_reference.safetensors"), "images")
        let config = VQVAEConfig(codes: 16, dimension: 4, restartAfter: 100).json
        func trainer() throws -> (Trainer, VQVAE) {
            let model = try VQVAE(configJSON: config, device: device, seed: 2)
            let loader = try BatchLoader(dataset: data, batchSize: 4, seed: 1)
            return (
                try Trainer(
                    model: model, configuration: TrainingConfiguration(steps: 3, batchSize: 4),
                    loader: loader, device: device), model
            )
        }
        let (first, model) = try trainer()
        try first.run { _ in true }
        let counters = try model.vq.stepsSinceUsed.toArray()
        #expect(counters.contains { $0 > 0 }, "\(counters)")
        let saved = try first.checkpoint()
        #expect(saved.weights.keys.allSatisfy { !$0.contains("steps_since_used") })
        let key = "model_state.vq.steps_since_used"
        #expect(try saved.optimizerState[key]?.floats() == counters)

        let (resumed, resumedModel) = try trainer()
        try resumed.restore(from: saved)
        #expect(try resumedModel.vq.stepsSinceUsed.toArray() == counters)

        var old = saved
        old.optimizerState[key] = nil
        let (fromOld, fromOldModel) = try trainer()
        try fromOld.run { _ in true }  // counters non-zero before the restore
        try fromOld.restore(from: old)
        #expect(try fromOldModel.vq.stepsSinceUsed.toArray() == [Float](repeating: 0, count: 16))
    }

    @Test func trainingStateLoadChecksNamesAndShapes() throws {
        let vq = try VectorQuantizer(codes: 3, dimension: 2, initializer: ParameterInitializer(seed: 3, device: CPUDevice.shared))
        #expect(vq.namedTrainingState().map(\.0) == ["steps_since_used"])
        try vq.loadTrainingState(["steps_since_used": ([3], [4, 0, 7])])
        #expect(try vq.stepsSinceUsed.toArray() == [4, 0, 7])
        #expect(throws: ComputeError.self) { try vq.loadTrainingState(["steps_since_used": ([4], [1, 2, 3, 4])]) }
        #expect(throws: ComputeError.self) { try vq.loadTrainingState(["other": ([3], [1, 2, 3])]) }
        try vq.loadTrainingState([:])
        #expect(try vq.stepsSinceUsed.toArray() == [0, 0, 0])
    }

    @Test func perplexityAndUsage() throws {
        let counts = try Tensor([2, 2, 0, 0, 4, 0, 0, 0], shape: [8], on: CPUDevice.shared)
        let (perplexity, usage) = try VectorQuantizer.codeStatistics(counts)
        // p = (¼, ¼, ½): entropy = 1.5 ln 2, perplexity 2^1.5.
        #expect(abs(try perplexity.item() - Float(pow(2, 1.5))) < 1e-5)
        #expect(try usage.item() == 0.375)
    }

    @Test func configJSONAndEvaluation() throws {
        let config = VQVAEConfig(codes: 32, dimension: 8, beta: 0.5, ema: true, decay: 0.9, restartAfter: 20, kmeansInit: true)
        #expect(try VQVAEConfig(json: config.json) == config)
        #expect(config.json.contains(#""K":32"#) && config.json.contains(#""restart_after":20"#))
        #expect(try VQVAEConfig(json: "{}") == VQVAEConfig())
        #expect(throws: ComputeError.self) { try VQVAEConfig(json: #"{"decay": 1.5}"#) }
        let model = try VQVAE(configJSON: config.json, device: CPUDevice.shared, seed: 2)
        #expect(model.pendingCodebookInitialization)
        #expect(model.configJSON == config.json)

        let (reference, file) = try referenceModel(on: CPUDevice.shared)
        let data = try S.dataset(file, "images")
        let result = try reference.evaluate(data, on: CPUDevice.shared, batchSize: 3)
        #expect(result.images == 8)
        #expect(abs(result.reconstructionMSE - Double(try S.scalar(file, "rec"))) < 1e-5)
        #expect(result.perplexity >= 1 && result.perplexity <= 256)
        let used = Set(try file["fixture.indices"]!.int32s()).count
        #expect(abs(result.codesInUse - Double(used) / 256) < 1e-6)
        #expect(reference.training)
    }
}
