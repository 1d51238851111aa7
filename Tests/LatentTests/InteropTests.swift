import Foundation
import Testing
@testable import Latent
import LatentCompute

/// The PyTorch interop (issue #14) at library level: the fixture's exact −ELBO, the shipped
/// configurations `latent import` defaults to, and the state_dict of `latent export`.
@Suite struct InteropTests {
    /// PyTorch's one-sample −ELBO of its trained VAE, recomputed by Latent from the imported BF16
    /// state_dict with PyTorch's own noise eps: equal up to float32 summation order.
    @Test func importedVAEGivesPyTorchsELBOWithItsNoise() throws {
        let stateDict = try SafeTensors.read(fixture("interop_vae_state_dict.safetensors"))
        let checkpoint = try StateDictImport.checkpoint(from: stateDict, path: "fixture", modelType: "vae")
        let vae = try #require(try ModelRegistry.load(checkpoint, path: "fixture", device: CPUDevice.shared) as? ConvVAE)
        let figures = try SafeTensors.read(fixture("interop_figures.safetensors"))
        let images = try #require(figures["images"]), eps = try #require(figures["eps"])
        let n = images.shape[0]
        let x = try Tensor(images.bytes.map { Float($0) / 255 }, shape: [n, 1, 28, 28], on: CPUDevice.shared)
        let loss = try withoutGrad { try vae.loss(images: x, eps: eps.tensor(on: CPUDevice.shared), klWeight: 1) }
        let expected = try JSONSerialization.jsonObject(with: Data(figures.metadata!["figures"]!.utf8)) as! [String: Double]
        let elbo = Double(try loss.negativeELBO().item())
        #expect(
            abs(elbo - expected["vae_neg_elbo_nats"]!) < 1e-4 * expected["vae_neg_elbo_nats"]!,
            "Latent \(elbo), PyTorch \(expected["vae_neg_elbo_nats"]!)")
        #expect(abs(Double(try loss.kl.item()) - expected["vae_kl_nats"]!) < 1e-4 * expected["vae_kl_nats"]!)
    }

    /// F16 and BF16 tensors are widened to F32 exactly; the imported checkpoint is F32 throughout.
    @Test func halfPrecisionIsWidened() throws {
        let stateDict = try SafeTensors.read(fixture("interop_vq_state_dict.safetensors"))
        #expect(stateDict.tensors.values.allSatisfy { $0.dtype == .f16 })
        let checkpoint = try StateDictImport.checkpoint(from: stateDict, path: "fixture", modelType: "vqvae")
        for (name, tensor) in checkpoint.weights {
            #expect(tensor.dtype == .f32)
            #expect(try tensor.floats() == stateDict[name]!.floats(), "\(name)")
        }
        #expect(checkpoint.modelConfig == ShippedConfigurations.byModelType["vqvae"])
    }

    /// The configurations `latent import` defaults to are those of the checkpoints under models/.
    @Test func shippedConfigurationsMatchTheShippedCheckpoints() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        #expect(Set(ShippedConfigurations.byModelType.keys).isSubset(of: ModelRegistry.names))
        #expect(Set(ShippedConfigurations.folders.keys) == Set(ShippedConfigurations.byModelType.keys))
        for (type, folder) in ShippedConfigurations.folders {
            let file = try SafeTensors.read(root.appendingPathComponent(folder + "/checkpoint.safetensors").path)
            #expect(file.metadata?["model_type"] == type)
            #expect(file.metadata?["model_config"] == ShippedConfigurations.byModelType[type], "\(folder)")
        }
    }

    /// The export holds the weights (or the EMA over them) in F32 and names the model in its metadata.
    @Test func exportedStateDictHoldsTheWeights() throws {
        let weights = ["a.weight": try SafeTensor(floats: [1, 2], shape: [2], as: .f16), "b": try SafeTensor(floats: [3], shape: [1])]
        let checkpoint = Checkpoint(
            weights: weights,
            optimizerState: [
                "ema.b": try SafeTensor(floats: [4], shape: [1]),
                "exp_avg.b": try SafeTensor(floats: [9], shape: [1]),
            ],
            modelType: "vae", rng: RandomState(seed: 0))
        let plain = try checkpoint.stateDict(path: "c")
        #expect(plain.tensors.keys.sorted() == ["a.weight", "b"])
        #expect(plain["a.weight"]?.dtype == .f32)
        #expect(try plain["a.weight"]?.floats() == [1, 2])
        #expect(plain.metadata?[Checkpoint.exportedModelTypeKey] == "vae")
        #expect(try checkpoint.stateDict(ema: true, path: "c")["b"]?.floats() == [4])
        var bare = checkpoint
        bare.optimizerState = [:]
        #expect(throws: FileError.self) { try bare.stateDict(ema: true, path: "c") }
    }
}
