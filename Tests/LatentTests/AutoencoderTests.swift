import Foundation
import LatentCompute
import Testing
@testable import Latent

@Suite struct AutoencoderTests {
    static func fixtureModel(on device: any Device = CPUDevice.shared) throws -> (AutoencoderKL, SafeTensors) {
        let file = try SafeTensors.read(fixture("autoencoder_tiny.safetensors"))
        let model = try AutoencoderKL(configJSON: try #require(file.metadata?["config"]), device: device, seed: 1)
        var weights: [String: (shape: [Int], values: [Float])] = [:]
        for (name, tensor) in file.tensors where !name.hasPrefix("fixture.") { weights[name] = (tensor.shape, try tensor.floats()) }
        try model.load(weights)
        model.eval()
        return (model, file)
    }

    @Test func encodeAndDecodeMatchPyTorch() throws {
        let (model, file) = try Self.fixtureModel()
        let x = try file["fixture.x"]!.tensor(on: CPUDevice.shared)
        let (mean, logvar) = try model.encode(x)
        #expect(mean.shape == [2, 4, 7, 7])
        #expect(maxRelativeError(try mean.toArray(), try file["fixture.mean"]!.floats()) < 1e-4)
        #expect(maxRelativeError(try logvar.toArray(), try file["fixture.logvar"]!.floats()) < 1e-4)
        let decoded = try model.decode(mean)
        #expect(decoded.shape == [2, 1, 28, 28])
        #expect(maxRelativeError(try decoded.toArray(), try file["fixture.decoded"]!.floats()) < 1e-4)
        #expect(try model.scale() == 0.75)
    }

    @Test func lossAndGradientsMatchPyTorch() throws {
        let (model, file) = try Self.fixtureModel()
        let device = CPUDevice.shared
        let result = try model.loss(images: file["fixture.x"]!.tensor(on: device), eps: file["fixture.eps"]!.tensor(on: device))
        for (name, value) in [("loss", result.loss), ("rec", result.reconstruction), ("kl", result.kl)] {
            let expected = try file["fixture.\(name)"]!.floats()[0], got = try value.item()
            #expect(Swift.abs(got - expected) / expected < 1e-4, "\(name): \(got) vs \(expected)")
        }
        let gradients = try result.loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters())
        var compared = 0
        for (key, reference) in file.tensors where key.hasPrefix("fixture.grad.") {
            let parameter = try #require(parameters[String(key.dropFirst("fixture.grad.".count))], "\(key)")
            let g = try #require(gradients[parameter], "\(key)").toArray()
            #expect(maxRelativeError(g, try reference.floats()) < 1e-4, "\(key)")
            compared += 1
        }
        #expect(compared == 8)
    }

    @Test func presetsAndShapes() throws {
        let small = try AutoencoderConfig(json: "{}")
        #expect(small.latentShape == [4, 7, 7])
        #expect(try AutoencoderConfig(json: #"{"preset": "tiny", "z_channels": 3}"#).latentShape == [3, 7, 7])
        #expect(throws: ComputeError.self) { try AutoencoderConfig(json: #"{"preset": "huge"}"#) }
        #expect(throws: ComputeError.self) { try AutoencoderConfig(json: #"{"ch": 10}"#) }  // 10 channels, 32 groups
    }
}
