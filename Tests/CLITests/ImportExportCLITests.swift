import Foundation
import Latent
import Testing

/// The committed PyTorch fixtures (Tests/LatentTests/Fixtures, written by tools/make_interop_fixtures.py).
func interopFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LatentTests/Fixtures/" + name).path
}

/// The repository's shipped checkpoint of a model folder (models/NAME).
func shippedCheckpoint(_ folder: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models/\(folder)/checkpoint.safetensors").path
}

/// The figures PyTorch computed for the fixture models (metadata "figures" of interop_figures.safetensors).
func pytorchFigures() throws -> [String: Double] {
    let file = try SafeTensors.read(interopFixture("interop_figures.safetensors"))
    let json = try #require(file.metadata?["figures"])
    return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Double])
}

/// An MNIST-format folder holding the fixture's test images (both splits), for `latent eval --data`.
func fixtureImagesFolder(in scratch: Scratch) throws -> String {
    let file = try SafeTensors.read(interopFixture("interop_figures.safetensors"))
    let images = try #require(file["images"]), labels = try #require(file["labels"])
    let dir = scratch.file("fixture-data")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for prefix in ["train", "t10k"] {
        try IDX.write(IDXArray(dimensions: images.shape, bytes: images.bytes), to: "\(dir)/\(prefix)-images-idx3-ubyte.gz", gzip: true)
        try IDX.write(IDXArray(dimensions: labels.shape, bytes: labels.bytes), to: "\(dir)/\(prefix)-labels-idx1-ubyte.gz", gzip: true)
    }
    return dir
}

/// `latent eval --json` figures of a checkpoint on the fixture images.
func evalFigures(_ checkpoint: String, scratch: Scratch) throws -> [String: Any] {
    let data = try fixtureImagesFolder(in: scratch)
    let r = try latent(["eval", checkpoint, "--data", data, "--limit", "64", "--iwae", "0", "--json", "--out", scratch.file("eval")])
    try #require(r.status == 0, "eval failed: \(r.error)")
    return try #require(try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any])
}

@Suite(.serialized) struct ImportExportCLITests {
    /// PyTorch-trained VQ-VAE (F16 state_dict, EMA codebook) → `latent import` → `latent eval`: the
    /// reconstruction MSE PyTorch computes, within 1e-5, and the same code statistics.
    @Test func importedVQVAEEvaluatesAsInPyTorch() throws {
        let scratch = Scratch(), out = scratch.file("vq.safetensors")
        let r = try latent(["import", interopFixture("interop_vq_state_dict.safetensors"), out, "--model", "vqvae"])
        try #require(r.status == 0, "import failed: \(r.error)")
        let figures = try pytorchFigures(), latentFigures = try evalFigures(out, scratch: scratch)
        let mse = try #require(latentFigures["reconstruction_mse"] as? Double)
        #expect(abs(mse - figures["vq_reconstruction_mse"]!) < 1e-5, "Latent \(mse), PyTorch \(figures["vq_reconstruction_mse"]!)")
        let perplexity = try #require(latentFigures["perplexity"] as? Double)
        #expect(abs(perplexity - figures["vq_perplexity"]!) < 1e-3 * figures["vq_perplexity"]!)
        #expect(latentFigures["codes_in_use"] as? Double == figures["vq_codes_in_use"])
    }

    /// PyTorch-trained VAE (BF16 state_dict) → import → eval: the analytic KL as PyTorch's, and −ELBO
    /// (one Philox sample per image, PyTorch's from torch.randn) within the Monte-Carlo noise.
    @Test func importedVAEEvaluatesAsInPyTorch() throws {
        let scratch = Scratch(), out = scratch.file("vae.safetensors")
        let r = try latent(["import", interopFixture("interop_vae_state_dict.safetensors"), out, "--model", "vae"])
        try #require(r.status == 0, "import failed: \(r.error)")
        let figures = try pytorchFigures(), latentFigures = try evalFigures(out, scratch: scratch)
        let kl = try #require(latentFigures["kl_nats"] as? Double)
        #expect(abs(kl - figures["vae_kl_nats"]!) < 1e-4 * figures["vae_kl_nats"]!, "KL: Latent \(kl), PyTorch \(figures["vae_kl_nats"]!)")
        let elbo = try #require(latentFigures["neg_elbo_nats"] as? Double)
        let tolerance = figures["vae_neg_elbo_tolerance"]!
        #expect(
            abs(elbo - figures["vae_neg_elbo_nats"]!) < tolerance,
            "-ELBO: Latent \(elbo), PyTorch \(figures["vae_neg_elbo_nats"]!), tolerance \(tolerance)")
    }

    /// Every kind of bad input is named in one error line, exits non-zero and leaves no file behind.
    @Test func badImportsAreNamedAndWriteNothing() throws {
        let scratch = Scratch()
        let source = try SafeTensors.read(interopFixture("interop_vae_state_dict.safetensors"))
        func variant(_ name: String, _ change: (inout [String: SafeTensor]) throws -> Void) throws -> String {
            var tensors = source.tensors
            try change(&tensors)
            let path = scratch.file(name + ".safetensors")
            try SafeTensors(tensors: tensors).write(to: path)
            return path
        }
        let missing = try variant("missing") { $0["dec.3.bias"] = nil }
        let extra = try variant("extra") { $0["dec.7.weight"] = try SafeTensor(floats: [1, 2], shape: [2]) }
        let shape = try variant("shape") { $0["enc.0.bias"] = try SafeTensor(floats: [Float](repeating: 0, count: 31), shape: [31]) }
        let dtype = try variant("dtype") { t in
            let bias = t["enc.0.bias"]!
            t["enc.0.bias"] = try SafeTensor(dtype: .f64, shape: bias.shape, bytes: [UInt8](repeating: 0, count: bias.count * 8))
        }
        let notSafetensors = scratch.file("text.safetensors")
        try Data("not a safetensors file at all".utf8).write(to: URL(fileURLWithPath: notSafetensors))
        let fixture = interopFixture("interop_vae_state_dict.safetensors")
        let cases: [([String], [String])] = [
            ([missing, "--model", "vae"], ["missing", "dec.3.bias"]),
            ([extra, "--model", "vae"], ["unexpected", "dec.7.weight"]),
            ([shape, "--model", "vae"], ["enc.0.bias", "[31]", "[32]"]),
            ([dtype, "--model", "vae"], ["enc.0.bias", "F64"]),
            ([fixture, "--model", "vae", "--config", #"{"latent": 8}"#], ["enc.5.weight", "[16, 3136]", "dec.0.weight"]),
            ([fixture, "--model", "vqvae"], ["missing", "vq.embedding"]),
            ([fixture, "--model", "vae", "--config", #"{"latent": -1}"#], ["latent"]),
            ([fixture, "--model", "gan"], ["unknown model", "gan"]),
            ([notSafetensors, "--model", "vae"], ["text.safetensors"]),
            ([scratch.file("absent.safetensors"), "--model", "vae"], ["absent.safetensors"]),
            ([shippedCheckpoint("fmnist-vae"), "--model", "vae"], ["already a Latent checkpoint"]),
        ]
        for (index, (arguments, fragments)) in cases.enumerated() {
            let out = scratch.file("out\(index).safetensors")
            let r = try latent(["import", arguments[0], out] + arguments.dropFirst())
            #expect(r.status != 0 && r.status < 128, "\(arguments): status \(r.status)")
            let message = r.error.trimmingCharacters(in: .whitespacesAndNewlines)
            for fragment in fragments { #expect(message.contains(fragment), "\(arguments): '\(fragment)' not in \(message)") }
            #expect(!FileManager.default.fileExists(atPath: out), "\(arguments) left \(out) behind")
        }
        // Nothing but the inputs: no temporary files either.
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("out") || $0.hasPrefix(".") }
        #expect(left.isEmpty, "left behind: \(left)")
    }

    /// Shipped checkpoint → export → import gives the same weights, model type and config; --ema
    /// exports the EMA weights where the checkpoint has them and is refused where it has none.
    @Test func exportThenImportRoundTrips() throws {
        let scratch = Scratch()
        let vae = shippedCheckpoint("fmnist-vae"), stateDict = scratch.file("vae_state.safetensors")
        let exported = try latent(["export", vae, stateDict])
        try #require(exported.status == 0, "\(exported.error)")
        let plain = try SafeTensors.read(stateDict)
        let original = try Checkpoint.read(vae)
        #expect(plain.tensors == original.weights, "the state_dict holds exactly the weights")
        let back = scratch.file("back.safetensors")
        let imported = try latent(["import", stateDict, back, "--model", "vae"])
        try #require(imported.status == 0, "\(imported.error)")
        let again = try Checkpoint.read(back)
        #expect(again.weights == original.weights && again.modelConfig == original.modelConfig)

        let noEMA = scratch.file("no_ema.safetensors")
        let refused = try latent(["export", vae, noEMA, "--ema"])
        #expect(refused.status != 0 && refused.error.contains("no EMA weights"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: noEMA))

        let ddpm = shippedCheckpoint("fmnist-ddpm"), emaFile = scratch.file("ddpm_ema.safetensors")
        let withEMA = try latent(["export", ddpm, emaFile, "--ema"])
        try #require(withEMA.status == 0, "\(withEMA.error)")
        let emaWeights = try SafeTensors.read(emaFile).tensors, checkpoint = try Checkpoint.read(ddpm)
        #expect(emaWeights.keys.sorted() == checkpoint.weights.keys.sorted())
        #expect(emaWeights["conv_in.weight"] == checkpoint.optimizerState["ema.conv_in.weight"])
        #expect(emaWeights["conv_in.weight"] != checkpoint.weights["conv_in.weight"])

        let notACheckpoint = try latent(["export", interopFixture("interop_vae_state_dict.safetensors"), scratch.file("x.safetensors")])
        #expect(notACheckpoint.status != 0 && notACheckpoint.error.contains("not a Latent checkpoint"), "\(notACheckpoint.error)")
    }
}
