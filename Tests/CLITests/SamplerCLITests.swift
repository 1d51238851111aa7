import Foundation
import Testing

@Suite struct SamplerCLITests {
    static let tinyDDPM = #"{"unet":{"ch":8,"ch_mult":[1,2,2],"num_res_blocks":1,"attn_resolutions":[],"norm_groups":4},"diffusion":{"T":40}}"#

    /// A wrong sampler, step count or spacing: a non-zero exit and one line saying what is allowed.
    @Test func badSamplerArgumentsGetAOneLineError() throws {
        let ddpm = shippedCheckpoint("fmnist-ddpm")
        let cases: [([String], [String])] = [
            (["sample", ddpm, "--sampler", "foo"], ["--sampler", "foo", "dpmpp-2m", "euler", "heun"]),
            (["sample", ddpm, "--steps", "0"], ["--steps", "at least 1"]),
            (["sample", ddpm, "--sampler", "heun", "--spacing", "cosine"], ["--spacing", "karras or uniform"]),
            (["fid", ddpm, "--sampler", "foo"], ["--sampler", "foo"]),
            (["fid", ddpm, "--sampler", "euler", "--steps", "0"], ["--steps", "at least 1"]),
            (["bench", "sample", "--sampler", "foo"], ["--sampler", "foo", "dpmpp-2m"]),
            (["bench", "sample", "--sampler", "heun", "--steps", "0"], ["--steps"]),
            // More steps than the model has timesteps.
            (["sample", ddpm, "--sampler", "dpmpp-2m", "--steps", "1001", "--out", NSTemporaryDirectory() + "x"], ["1001", "1000"]),
        ]
        try expectOneLineErrors(cases)
    }

    @Test func sampleAndBenchTakeTheODESolvers() throws {
        let scratch = Scratch()
        let sample = try latent([
            "sample", shippedCheckpoint("fmnist-ddpm"), "--sampler", "heun", "--steps", "2", "--count", "2", "--out", scratch.file("s"),
        ])
        #expect(sample.status == 0, "\(sample.error)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("s/samples.png")))
        let bench = try latent([
            "bench", "sample", "--config", Self.tinyDDPM, "--batch", "1", "--sampler", "dpmpp-2m", "--steps", "3", "--ddpm-steps", "1",
            "--json",
        ])
        try #require(bench.status == 0, "\(bench.error)")
        let ops = bench.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["op"] as? String
        }
        #expect(ops.contains("dpmpp-2m_sample") && !ops.contains("ddim_sample"), "\(ops)")
    }
}
