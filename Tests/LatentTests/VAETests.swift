import Foundation
import Testing
@testable import Latent
import LatentCompute

/// Helpers shared by VAETests and VQVAETests (fixtures from tools/make_vae_fixtures.py).
enum ModelTestSupport {
    static func file(_ name: String) throws -> SafeTensors { try SafeTensors.read(fixture(name)) }

    /// The state_dict part of a fixture (every tensor not prefixed "fixture."), as `Module.load` takes it.
    static func weights(_ file: SafeTensors) throws -> [String: (shape: [Int], values: [Float])] {
        var result: [String: (shape: [Int], values: [Float])] = [:]
        for (name, tensor) in file.tensors where !name.hasPrefix("fixture.") {
            result[name] = (tensor.shape, try tensor.floats())
        }
        return result
    }

    /// 8-bit images scaled to [0, 1] as the reference does (u8 / 255 in float32).
    static func images(_ file: SafeTensors, _ name: String, on device: any Device) throws -> Tensor {
        let t = try #require(file["fixture." + name])
        return try Tensor(t.int32s().map { Float($0) / 255 }, shape: t.shape, on: device)
    }

    static func dataset(_ file: SafeTensors, _ name: String) throws -> ImageDataset {
        let t = try #require(file["fixture." + name])
        return try ImageDataset(
            pixels: t.int32s().map { UInt8($0) }, labels: [Int32](repeating: 0, count: t.shape[0]),
            channels: 1, height: 28, width: 28)
    }

    static func floats(_ file: SafeTensors, _ name: String) throws -> [Float] {
        try #require(file["fixture." + name]).floats()
    }

    static func scalar(_ file: SafeTensors, _ name: String) throws -> Float { try floats(file, name)[0] }

    /// Σ(a − b)² / Σ b², in Double.
    static func nmse(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var (error, norm) = (0.0, 0.0)
        for (x, y) in zip(a, b) {
            error += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        return error / max(norm, 1e-30)
    }

    static func relative(_ a: Float, _ b: Float) -> Double { Double(abs(a - b)) / max(Double(abs(b)), 1e-30) }

    static func openCL() throws -> any Device { try DeviceSelection.resolve(.opencl) }

    /// One training step as the training loop runs it; returns the loss and the gradients by name.
    @discardableResult
    static func step(
        _ model: some GenerativeModel, images: Tensor, noise: NoiseStream,
        optimizer: Adam?
    ) throws -> (loss: Float, gradients: [String: [Float]]) {
        let labels = try Tensor(indices: [Int32](repeating: 0, count: images.shape[0]), shape: [images.shape[0]], on: images.device)
        let out = try model.trainingLoss(images: images, labels: labels, noise: noise)
        let gradients = try out.loss.backward()
        var named: [String: [Float]] = [:]
        if optimizer == nil {
            for (name, p) in model.namedParameters() { if let g = gradients[p] { named[name] = try g.toArray() } }
        }
        try optimizer?.step(model.namedParameters(), gradients: gradients)
        try model.afterOptimizerStep()
        return (try out.loss.item(), named)
    }

    /// Losses of `steps` Adam steps (lr 1e-3) over `dataset` in batches of 16, reshuffled each epoch.
    static func curve(_ model: some GenerativeModel, dataset: ImageDataset, steps: Int, device: any Device) throws -> [Float] {
        let loader = try BatchLoader(dataset: dataset, batchSize: 16, seed: 5, scaling: .zeroToOne)
        let noise = NoiseStream(seed: 11)
        let adam = Adam(learningRate: 1e-3)
        var position = BatchPosition.start
        var losses: [Float] = []
        for _ in 0..<steps {
            let batch = try loader.batch(at: position)
            position = batch.next
            losses.append(try step(model, images: batch.imagesTensor(on: device), noise: noise, optimizer: adam).loss)
        }
        return losses
    }

    /// Compares every `fixture.grad.NAME` tensor of a reference file with the gradient of the
    /// model parameter NAME (NMSE < 1e-8) and returns how many were compared.
    static func compareFixtureGradients(_ file: SafeTensors, _ model: Module, _ gradients: Gradients) throws -> Int {
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters())
        var compared = 0
        for name in file.tensors.keys where name.hasPrefix("fixture.grad.") {
            let parameter = try #require(parameters[String(name.dropFirst("fixture.grad.".count))])
            let g = try #require(gradients[parameter]).toArray()
            #expect(nmse(g, try file[name]!.floats()) < 1e-8, "\(name)")
            compared += 1
        }
        return compared
    }
}

@Suite struct VAETests {
    typealias S = ModelTestSupport

    @Test func namesShapesAndParameterCountMatchTheReference() throws {
        let file = try S.file("vae_reference.safetensors")
        let model = try ConvVAE(configJSON: "{}", device: CPUDevice.shared, seed: 1)
        let keys = try #require(file.metadata?["keys"]).split(separator: ",").map(String.init)
        #expect(model.stateDict().map(\.0) == keys)
        for (name, tensor) in model.stateDict() { #expect(file[name]?.shape == tensor.shape, "\(name)") }
        #expect(model.parameterCount == Int(try #require(file.metadata?["parameters"])))
        #expect(model.parameterCount == 220_385)
        #expect(
            try ConvVAE(config: VAEConfig(decoder: .gaussianLearned), initializer: ParameterInitializer(seed: 1, device: CPUDevice.shared))
                .stateDict().map(\.0) == ["log_sigma"] + keys)
    }

    /// The reference's loss and gradients from its own weights, batch and noise (fixture made by PyTorch).
    @Test func matchesPyTorchLossAndGradients() throws {
        let file = try S.file("vae_reference.safetensors")
        let device = CPUDevice.shared
        let model = try ConvVAE(configJSON: "{}", device: device, seed: 99)
        try model.load(S.weights(file))
        let x = try S.images(file, "images", on: device)
        let eps = try Tensor(S.floats(file, "eps"), shape: [8, 16], on: device)
        let result = try model.loss(images: x, eps: eps)
        #expect(S.relative(try result.loss.item(), try S.scalar(file, "loss")) < 1e-4)
        #expect(S.relative(try result.reconstruction.item(), try S.scalar(file, "rec")) < 1e-4)
        #expect(S.relative(try result.kl.item(), try S.scalar(file, "kl")) < 1e-3)
        let compared = try S.compareFixtureGradients(file, model, result.loss.backward())
        #expect(compared == 7)
    }

    /// A different eps gives a different loss: the noise really enters.
    @Test func lossDependsOnTheNoise() throws {
        let file = try S.file("vae_reference.safetensors")
        let model = try ConvVAE(configJSON: "{}", device: CPUDevice.shared, seed: 99)
        try model.load(S.weights(file))
        let x = try S.images(file, "images", on: CPUDevice.shared)
        let eps = try Tensor.randomNormal([8, 16], seed: 3, std: 3, on: CPUDevice.shared)
        #expect(S.relative(try model.loss(images: x, eps: eps).reconstruction.item(), try S.scalar(file, "rec")) > 1e-4)
    }

    @Test func oneTrainingStepAgreesOnCPUAndOpenCL() throws {
        let file = try S.file("vae_reference.safetensors")
        var results: [(loss: Float, gradients: [String: [Float]])] = []
        for device in [CPUDevice.shared, try S.openCL()] {
            let model = try ConvVAE(configJSON: "{}", device: device, seed: 21)
            results.append(
                try S.step(
                    model, images: S.images(file, "images", on: device), noise: NoiseStream(seed: 4),
                    optimizer: nil))
        }
        #expect(S.relative(results[1].loss, results[0].loss) < 1e-5)
        #expect(results[0].gradients.count == 12)
        for (name, g) in results[0].gradients {
            let other = try #require(results[1].gradients[name])
            #expect(S.nmse(other, g) < 1e-9, "\(name): nmse \(S.nmse(other, g))")
        }
    }

    @Test func trainingCurveAgreesOnCPUAndOpenCLAndDecreases() throws {
        let data = try S.dataset(S.file("vae_reference.safetensors"), "curve_images")
        let steps = 200
        let cpu = try S.curve(
            ConvVAE(configJSON: "{}", device: CPUDevice.shared, seed: 8), dataset: data, steps: steps,
            device: CPUDevice.shared)
        let device = try S.openCL()
        let gpu = try S.curve(ConvVAE(configJSON: "{}", device: device, seed: 8), dataset: data, steps: steps, device: device)
        let worst = zip(cpu, gpu).map { S.relative($1, $0) }.max()!
        // One step agrees to 1e-5 (test above); over 200 Adam steps rounding differences grow (5.6e-3 measured).
        #expect(worst < 2e-2, "largest relative loss difference \(worst)")
        let first = cpu[0], last = cpu.suffix(8).reduce(0, +) / 8
        #expect(last < 0.6 * first, "loss \(first) → \(last)")
    }

    @Test func configJSONRoundTripsAndWarmsUp() throws {
        let config = VAEConfig(latent: 8, decoder: .gaussianLearned, sigma: 0.2, beta: 4, warmup: 100)
        #expect(try VAEConfig(json: config.json) == config)
        #expect(try VAEConfig(json: "{}") == VAEConfig())
        #expect(try VAEConfig(json: #"{"beta": 2}"#).beta == 2)
        #expect(config.klWeight(atStep: 1) == 0.04)
        #expect(config.klWeight(atStep: 50) == 2)
        #expect(config.klWeight(atStep: 500) == 4)
        #expect(VAEConfig().klWeight(atStep: 1) == 1)
        #expect(throws: ComputeError.self) { try VAEConfig(json: #"{"latent": 0}"#) }
        #expect(throws: ComputeError.self) { try VAEConfig(json: #"{"decoder": "poisson"}"#) }
        let model = try ConvVAE(configJSON: config.json, device: CPUDevice.shared, seed: 1)
        #expect(model.configJSON == config.json)
        #expect(model.currentKLWeight == 0.04)
        try model.afterOptimizerStep()
        #expect(model.currentKLWeight == 0.08)
    }

    /// The Gaussian decoders against the formula Σ(x − μ)²/(2σ²) + P·(log σ + ½ log 2π), per image.
    @Test func gaussianDecoderNegativeLogLikelihood() throws {
        let device = CPUDevice.shared
        let x = try Tensor.randomUniform([2, 1, 28, 28], seed: 5, on: device)
        let eps = try Tensor.randomNormal([2, 4], seed: 6, on: device)
        var losses: [Float] = []
        for decoder in [VAEConfig.Decoder.gaussian, .gaussianLearned] {
            let model = try ConvVAE(
                config: VAEConfig(latent: 4, decoder: decoder, sigma: 0.3),
                initializer: ParameterInitializer(seed: 2, device: device))
            let result = try model.loss(images: x, eps: eps)
            let mu = try result.output.toArray(), xs = try x.toArray()
            let squared = zip(mu, xs).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let expected = (squared / (2 * 0.09) + 2 * 784 * (log(0.3) + 0.5 * log(2 * Double.pi))) / 2
            #expect(abs(Double(try result.reconstruction.item()) - expected) < 1e-4 * abs(expected))
            losses.append(try result.loss.item())
            if decoder == .gaussianLearned {
                let g = try result.loss.backward()[try #require(model.logSigma)]
                #expect(try #require(g).item() != 0)
            }
        }
        #expect(S.relative(losses[1], losses[0]) < 1e-5)
    }

    /// IWAE_k computed in chunks (any `maxDecodes`) equals a host computation in Double from the same noise.
    @Test func importanceWeightedBoundMatchesHostComputation() throws {
        let file = try S.file("vae_reference.safetensors")
        let device = CPUDevice.shared
        let model = try ConvVAE(configJSON: "{}", device: device, seed: 1)
        try model.load(S.weights(file))
        let x = try S.images(file, "images", on: device).slice(axis: 0, 0..<3)
        let k = 6
        let chunked = try model.importanceWeightedBound(images: x, samples: k, seed: 9, firstImage: 2, maxDecodes: 4)
        let whole = try model.importanceWeightedBound(images: x, samples: k, seed: 9, firstImage: 2, maxDecodes: 100)
        let (mu, logvar) = try model.encode(x)
        let (m, lv, xs) = (try mu.toArray(), try logvar.toArray(), try x.toArray())
        for i in 0..<3 {
            let eps = try Tensor.randomNormal([k, 16], seed: 9, offset: UInt64((2 + i) * k * 16), on: device).toArray()
            var z = [Float](repeating: 0, count: k * 16)
            for s in 0..<k { for l in 0..<16 { z[s * 16 + l] = m[i * 16 + l] + Foundation.exp(0.5 * lv[i * 16 + l]) * eps[s * 16 + l] } }
            let logits = try model.decode(Tensor(z, shape: [k, 16], on: device)).toArray()
            var logWeights: [Double] = []
            for s in 0..<k {
                var w = 0.0
                for p in 0..<784 {
                    let (a, t) = (Double(logits[s * 784 + p]), Double(xs[i * 784 + p]))
                    w -= max(a, 0) - a * t + Foundation.log(1 + Foundation.exp(-abs(a)))
                }
                for l in 0..<16 {
                    let (zz, e) = (Double(z[s * 16 + l]), Double(eps[s * 16 + l]))
                    w += -0.5 * zz * zz + 0.5 * e * e + 0.5 * Double(lv[i * 16 + l])
                }
                logWeights.append(w)
            }
            let top = logWeights.max()!
            let expected = top + Foundation.log(logWeights.reduce(0) { $0 + Foundation.exp($1 - top) } / Double(k))
            #expect(abs(chunked[i] - expected) < 1e-3, "image \(i): \(chunked[i]) vs \(expected)")
            #expect(abs(whole[i] - chunked[i]) < 1e-3)
        }
    }

    @Test func evaluationSamplesAndReconstructions() throws {
        let file = try S.file("vae_reference.safetensors")
        let device = CPUDevice.shared
        let model = try ConvVAE(configJSON: "{}", device: device, seed: 1)
        try model.load(S.weights(file))
        let data = try S.dataset(file, "curve_images")
        let result = try model.evaluate(data, on: device, limit: 10, batchSize: 4, iwaeSamples: 16, maxDecodes: 32, seed: 3)
        #expect(result.images == 10)
        #expect(abs(result.negativeELBO - result.reconstruction - result.kl) < 1e-6 * result.negativeELBO)
        // The ELBO's eps of image i are Philox numbers i·latent..<(i+1)·latent of stream `seed`.
        let x = try S.images(file, "curve_images", on: device).slice(axis: 0, 0..<10)
        let direct = try model.loss(images: x, eps: Tensor.randomNormal([10, 16], seed: 3, on: device))
        #expect(abs(result.negativeELBO - Double(try direct.negativeELBO().item())) < 1e-3)
        let iwae = try #require(result.negativeIWAE)
        #expect(iwae.isFinite && iwae > 0 && iwae < result.negativeELBO + 5)
        #expect(model.training)

        let samples = try model.sample(count: 5, noise: NoiseStream(seed: 1), on: device)
        #expect(samples.shape == [5, 1, 28, 28])
        let values = try samples.toArray()
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(try model.sample(count: 5, noise: NoiseStream(seed: 1), on: device).toArray() == values)
        #expect(try model.reconstruct(x).shape == [10, 1, 28, 28])
    }
}
