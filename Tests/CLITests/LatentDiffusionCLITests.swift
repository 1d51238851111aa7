import Foundation
import Latent
import Testing

/// `latent train autoencoder | ldm | dit` end to end on a tiny dataset, and their bad inputs.
@Suite(.serialized) struct LatentDiffusionCLITests {
    static let tinyAutoencoder = #"{"preset": "tiny"}"#
    static let tinyDiT = #"{"dit": {"hidden_size": 32, "depth": 1, "num_heads": 2}, "diffusion": {"p_uncond": 0.2}}"#

    /// A trained tiny autoencoder checkpoint (3 steps) in `scratch`.
    func autoencoder(_ scratch: Scratch, data: String) throws -> String {
        let r = try latent([
            "train", "autoencoder", "--data", data, "--out", scratch.file("ae"), "--steps", "3", "--batch-size", "8",
            "--config", Self.tinyAutoencoder, "--scale-images", "48",
        ])
        try #require(r.status == 0, "autoencoder training failed: \(r.error)")
        return scratch.file("ae") + "/checkpoint.safetensors"
    }

    /// Autoencoder → LDM with its latent cache → exact resume from the cache → samples and figures.
    @Test func latentDiffusionTrainsResumesSamplesAndEvaluates() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let ae = try autoencoder(scratch, data: data)
        let scale = try #require(try Checkpoint.read(ae).weights["scale_factor"]?.floats().first)
        #expect(scale > 0 && scale != 1, "the scale factor was not estimated: \(scale)")

        let common = ["train", "ldm", "--data", data, "--batch-size", "8", "--seed", "2", "--lr", "0.003", "--config", Self.tinyDiT]
        let straight = try latent(common + ["--autoencoder", ae, "--out", scratch.file("a"), "--steps", "6"])
        try #require(straight.status == 0, "\(straight.error)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("a") + "/" + LatentCache.fileName))
        let first = try latent(common + ["--autoencoder", ae, "--out", scratch.file("b"), "--steps", "3"])
        try #require(first.status == 0, "\(first.error)")
        let resumed = try latent(common + ["--out", scratch.file("b"), "--steps", "6", "--resume", scratch.file("b") + "/checkpoint.safetensors"])
        try #require(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("reusing the latent cache"), "\(resumed.output)")
        let a = try Checkpoint.read(scratch.file("a") + "/checkpoint.safetensors")
        let b = try Checkpoint.read(scratch.file("b") + "/checkpoint.safetensors")
        #expect(a.step == 6 && b.step == 6)
        for (name, tensor) in a.weights { #expect(tensor == b.weights[name], "\(name) differs after resume") }
        // The autoencoder travels inside the LDM checkpoint, with its fingerprint in the config.
        #expect(a.weights["first_stage_model.scale_factor"]?.bytes == (try Checkpoint.read(ae)).weights["scale_factor"]?.bytes)
        #expect(a.modelConfig.contains(try FileFingerprint.of(file: ae)))

        let samples = try latent([
            "sample", scratch.file("a") + "/checkpoint.safetensors", "--out", scratch.file("s"), "--count", "3",
            "--steps", "2", "--guidance", "1",
        ])
        try #require(samples.status == 0, "\(samples.error)")
        let file = try SafeTensors.read(scratch.file("s") + "/samples.safetensors")
        #expect(file["samples"]?.shape == [3, 1, 28, 28])

        let eval = try latent(["eval", ae, "--data", data, "--out", scratch.file("e"), "--json", "--no-fid"])
        try #require(eval.status == 0, "\(eval.error)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(eval.output.utf8)) as? [String: Any])
        let mse = try #require((figures["reconstruction_mse"] as? NSNumber)?.doubleValue)
        let psnr = try #require((figures["psnr_db"] as? NSNumber)?.doubleValue)
        #expect(mse > 0 && abs(psnr - 10 * log10(1 / mse)) < 1e-6, "\(figures)")
        #expect(figures["reconstructions_png"] as? String == scratch.file("e") + "/reconstructions.png")
    }

    @Test func pixelDiTTrainsAndSamples() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let run = try latent([
            "train", "dit", "--data", data, "--out", scratch.file("d"), "--steps", "2", "--batch-size", "8",
            "--config", Self.tinyDiT,
        ])
        try #require(run.status == 0, "\(run.error)")
        let samples = try latent([
            "sample", scratch.file("d") + "/checkpoint.safetensors", "--out", scratch.file("s"), "--count", "2",
            "--steps", "2",
        ])
        #expect(samples.status == 0, "\(samples.error)")
    }

    /// Each bad input: a non-zero exit (no crash) and one line naming the file and the mismatch.
    @Test func badInputGetsAOneLineError() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let ae = try autoencoder(scratch, data: data)
        let ldm = ["train", "ldm", "--data", data, "--batch-size", "8"]
        let run = try latent(ldm + ["--autoencoder", ae, "--out", scratch.file("l"), "--steps", "1", "--config", Self.tinyDiT])
        try #require(run.status == 0, "\(run.error)")
        let ldmCheckpoint = scratch.file("l") + "/checkpoint.safetensors"
        try FileManager.default.createDirectory(atPath: scratch.file("r"), withIntermediateDirectories: true)
        let cases: [([String], [String])] = [
            // The LDM's denoiser does not take the autoencoder's latents.
            (ldm + ["--autoencoder", ae, "--out", scratch.file("x1"), "--config", #"{"dit": {"input_size": 8}}"#], [ae, "4×8×8", "4×7×7"]),
            // An autoencoder checkpoint where a diffusion checkpoint is expected, and the other way round.
            (["sample", ae, "--out", scratch.file("x2")], [ae, "autoencoder"]),
            (["fid", ae], [ae, "autoencoder"]),
            (["bench", "sample", "--checkpoint", ae], [ae, "autoencoder"]),
            (["train", "ldm", "--data", data, "--resume", ae, "--out", scratch.file("x3")], [ae, "autoencoder", "ldm"]),
            (ldm + ["--autoencoder", ldmCheckpoint, "--out", scratch.file("x4")], [ldmCheckpoint, "ldm", "not an autoencoder"]),
            (ldm + ["--out", scratch.file("x5")], ["--autoencoder"]),
            // Patch sizes that do not divide the input.
            (
                ["train", "dit", "--data", data, "--out", scratch.file("x6"), "--config", #"{"dit": {"patch_size": 3}}"#],
                ["patch size 3", "input size 28"]
            ),
            (
                ldm + ["--autoencoder", ae, "--out", scratch.file("x7"), "--config", #"{"dit": {"patch_size": 2}}"#],
                [ae, "patch size 2", "input size 7"]
            ),
            // Resuming in a folder without the run's latent cache.
            (
                ldm + ["--out", scratch.file("r"), "--steps", "2", "--resume", ldmCheckpoint],
                [scratch.file("r") + "/latents.safetensors", "missing"]
            ),
        ]
        try expectOneLineErrors(cases)
    }
}
