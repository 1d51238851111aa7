import Foundation
import LatentCompute
import Testing
@testable import Latent

/// The tiny PyTorch DiTs of tools/make_dit_fixtures.py (dit_tiny.safetensors): "cond" (ε only, patch 2)
/// and "sigma" (learn_sigma, patch 1).
enum TinyDiTFixture {
    static func file() throws -> SafeTensors { try SafeTensors.read(fixture("dit_tiny.safetensors")) }

    static func model(_ name: String, file: SafeTensors, on device: any Device = CPUDevice.shared) throws -> DiT {
        let json = try #require(file.metadata?[name])
        let dit = try DiT(
            try JSONDecoder().decode(DiTConfiguration.self, from: Data(json.utf8)),
            initializer: ParameterInitializer(seed: 3, device: device))
        var weights: [String: (shape: [Int], values: [Float])] = [:]
        for (key, tensor) in file.tensors where key.hasPrefix(name + ".") {
            weights[String(key.dropFirst(name.count + 1))] = (tensor.shape, try tensor.floats())
        }
        try dit.load(weights)
        dit.eval()
        return dit
    }
}

@Suite struct DiTTests {
    @Test(arguments: ["cond", "sigma"])
    func forwardMatchesPyTorch(_ name: String) throws {
        let file = try TinyDiTFixture.file()
        let dit = try TinyDiTFixture.model(name, file: file)
        let device = CPUDevice.shared
        func f(_ key: String) throws -> SafeTensor { try #require(file["fixture.\(name).\(key)"]) }
        let x = try f("x").tensor(on: device)
        let t = try f("t").int32s().map(Int.init)
        let conditional = try dit(x, timesteps: t, labels: f("y").tensor(on: device), nullMask: nil, dropoutNoise: nil).toArray()
        let null = try dit(x, timesteps: t, labels: nil, nullMask: nil, dropoutNoise: nil).toArray()
        let expected = try f("out_cond").floats()
        #expect(conditional.count == expected.count)
        #expect(maxRelativeError(conditional, expected) < 1e-4)
        #expect(maxRelativeError(null, try f("out_null").floats()) < 1e-4)
        // The labels matter, so the comparison is not vacuous for the label table.
        #expect(maxRelativeError(conditional, try f("out_null").floats()) > 1e-3)
    }

    @Test(arguments: ["cond", "sigma"])
    func lossAndGradientsMatchPyTorch(_ name: String) throws {
        let file = try TinyDiTFixture.file()
        let dit = try TinyDiTFixture.model(name, file: file)
        let device = CPUDevice.shared
        func f(_ key: String) throws -> SafeTensor { try #require(file["fixture.\(name).\(key)"]) }
        let losses = try GaussianDiffusion().denoisingLosses(
            dit, x0: f("loss_x0").tensor(on: device), timesteps: f("loss_t").int32s().map(Int.init),
            noise: f("loss_noise").tensor(on: device), labels: f("loss_y").tensor(on: device))
        let expected = try f("loss").floats()[0], got = try losses.loss.item()
        #expect(Swift.abs(got - expected) / expected < 1e-4, "loss \(got) vs \(expected)")
        #expect(Swift.abs(try losses.mse.item() - f("mse").floats()[0]) / expected < 1e-4)
        if name == "sigma" {
            let vb = try #require(losses.vb).item(), reference = try f("vb").floats()[0]
            #expect(reference > 0.01 && Swift.abs(vb - reference) / reference < 1e-4, "vb \(vb) vs \(reference)")
        } else {
            #expect(losses.vb == nil)
        }
        let gradients = try losses.loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: dit.namedParameters())
        let prefix = "fixture.\(name).grad."
        var compared = 0
        for (key, reference) in file.tensors where key.hasPrefix(prefix) {
            let parameter = try #require(parameters[String(key.dropFirst(prefix.count))], "\(key)")
            let g = try #require(gradients[parameter], "\(key)").toArray()
            #expect(maxRelativeError(g, try reference.floats()) < 1e-4, "\(key)")
            compared += 1
        }
        #expect(compared == 9)
    }

    @Test func namesFollowTheOfficialCode() throws {
        let c = try DiTConfiguration(preset: "DiT-S/2", inputSize: 8, inChannels: 4)
        let dit = try DiT(c, initializer: ParameterInitializer(seed: 0, device: CPUDevice.shared))
        let names = Set(dit.namedParameters().map(\.0))
        for name in [
            "x_embedder.proj.weight", "t_embedder.mlp.0.weight", "t_embedder.mlp.2.bias", "y_embedder.embedding_table.weight",
            "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.weight", "blocks.0.mlp.fc1.weight", "blocks.11.mlp.fc2.bias",
            "blocks.0.adaLN_modulation.1.weight", "final_layer.adaLN_modulation.1.weight", "final_layer.linear.weight",
        ] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(names.count == 4 + 2 + 1 + 12 * 10 + 4)
        // DiT-S/2 for 4×8×8 inputs and 11 label rows (the paper's 33M; python/latent_torch/dit.py counts the same).
        #expect(dit.parameterCount == 32_478_736)
        // adaLN-Zero: the modulation and the final layer start at zero, so the initial output is zero.
        for (name, p) in dit.namedParameters() where name.contains("adaLN_modulation") || name.hasPrefix("final_layer.linear") {
            #expect(try p.toArray().allSatisfy { $0 == 0 }, "\(name)")
        }
    }

    @Test func positionEmbeddingMatchesTheOfficialFormula() {
        // get_2d_sincos_pos_embed(8, 2): token 1 is (row 0, column 1); first half from the column.
        let v = DiTPositionEmbedding.values(dimension: 8, gridSize: 2)
        let token1 = Array(v[8..<16])
        let expected: [Float] = [Float(sin(1.0)), Float(sin(0.01)), Float(cos(1.0)), Float(cos(0.01)), 0, 0, 1, 1]
        #expect(zip(token1, expected).allSatisfy { Swift.abs($0 - $1) < 1e-7 }, "\(token1)")
    }

    @Test func patchSizeThatDoesNotDivideTheInputIsRefused() {
        #expect(throws: DiffusionError.invalidConfiguration("DiT patch size 2 does not divide the input size 7")) {
            _ = try DiT(DiTConfiguration(inputSize: 7, patchSize: 2), initializer: ParameterInitializer(seed: 0, device: CPUDevice.shared))
        }
    }

    @Test func pixelDiTTrainsAndSamples() throws {
        let json = #"{"dit": {"input_size": 8, "patch_size": 4, "hidden_size": 32, "depth": 1, "num_heads": 2}, "diffusion": {"T": 50}}"#
        let model = try DiTDiffusionModel(configJSON: json, device: CPUDevice.shared, seed: 1)
        #expect(model.imageShape == [1, 8, 8])
        let images = try Tensor.randomUniform([4, 1, 8, 8], seed: 2, on: CPUDevice.shared)
        let labels = try Tensor(indices: [0, 1, 2, 3], shape: [4], on: CPUDevice.shared)
        let loss = try model.trainingLoss(images: images, labels: labels, noise: NoiseStream(seed: 4))
        #expect(try loss.loss.item().isFinite)
        let samples = try model.sample(
            count: 3, labels: [1, 2, 10], options: SamplerOptions(method: .ddim(steps: 3, eta: 0), guidanceScale: 1),
            progress: nil)
        #expect(samples.shape == [3, 1, 8, 8])
    }
}

/// The same fixtures on the OpenCL backend (PoCL here): the new models need no kernel of their own.
@Suite struct LatentDiffusionOpenCLTests {
    @Test func ditMatchesPyTorchOnOpenCL() throws {
        let device = try DeviceSelection.resolve(.opencl)
        let file = try TinyDiTFixture.file()
        let dit = try TinyDiTFixture.model("sigma", file: file, on: device)
        func f(_ key: String) throws -> SafeTensor { try #require(file["fixture.sigma.\(key)"]) }
        let out = try dit(
            f("x").tensor(on: device), timesteps: f("t").int32s().map(Int.init), labels: f("y").tensor(on: device),
            nullMask: nil, dropoutNoise: nil)
        #expect(maxRelativeError(try out.toArray(), try f("out_cond").floats()) < 1e-4)
        let losses = try GaussianDiffusion().denoisingLosses(
            dit, x0: f("loss_x0").tensor(on: device), timesteps: f("loss_t").int32s().map(Int.init),
            noise: f("loss_noise").tensor(on: device), labels: f("loss_y").tensor(on: device))
        let expected = try f("loss").floats()[0], got = try losses.loss.item()
        #expect(Swift.abs(got - expected) / expected < 1e-4, "\(got) vs \(expected)")
        let gradients = try losses.loss.backward()
        let qkv = try #require(dit.namedParameters().first { $0.0 == "blocks.0.attn.qkv.weight" }?.1)
        #expect(maxRelativeError(try #require(gradients[qkv]).toArray(), try f("grad.blocks.0.attn.qkv.weight").floats()) < 1e-4)
    }

    @Test func autoencoderMatchesPyTorchOnOpenCL() throws {
        let device = try DeviceSelection.resolve(.opencl)
        let (model, file) = try AutoencoderTests.fixtureModel(on: device)
        let (mean, _) = try model.encode(file["fixture.x"]!.tensor(on: device))
        #expect(maxRelativeError(try mean.toArray(), try file["fixture.mean"]!.floats()) < 1e-4)
        #expect(maxRelativeError(try model.decode(mean).toArray(), try file["fixture.decoded"]!.floats()) < 1e-4)
    }
}

@Suite struct LearnedVarianceSamplingTests {
    /// Ancestral DDPM with the DiT's own variance and guidance against the PyTorch loop with the same noise.
    @Test func ancestralSamplingUsesTheLearnedVariance() throws {
        let file = try TinyDiTFixture.file()
        let dit = try TinyDiTFixture.model("sigma", file: file)
        let noise = try #require(file["fixture.sigma.sample_noise"])
        let rows = try noise.floats(), size = noise.shape.dropFirst().reduce(1, *)
        let small = try GaussianDiffusion(DiffusionConfiguration(timesteps: 10))
        let out = try small.sample(
            dit, shape: [2, 2, 3, 3], labels: try #require(file["fixture.sigma.sample_y"]).int32s(),
            options: SamplerOptions(method: .ddpm(variance: .beta), guidanceScale: 1.5, clipDenoised: false),
            noise: { slot, shape, device in
                try Tensor(Array(rows[(slot * size)..<((slot + 1) * size)]), shape: shape, on: device)
            }, progress: nil)
        let expected = try #require(file["fixture.sigma.sample_out"]).floats()
        #expect(maxRelativeError(try out.toArray(), expected) < 1e-4)
    }
}
