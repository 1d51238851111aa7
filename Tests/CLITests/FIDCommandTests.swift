import Foundation
import Latent
import Testing

/// `latent train classifier`, `latent eval` of a classifier and `latent fid`, end to end on a tiny dataset.
@Suite(.serialized) struct FIDCommandTests {
    /// A tiny class-conditional DDPM (28×28, 8 channels, no attention) so sampling takes well under a second.
    static let tinyDDPM =
        #"{"unet": {"ch": 8, "ch_mult": [1, 2], "num_res_blocks": 1, "attn_resolutions": [], "#
        + #""norm_groups": 4, "num_classes": 10}, "diffusion": {"T": 50}}"#

    func json(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func trainEvalAndScoreSamples() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let classifier = scratch.file("clf") + "/checkpoint.safetensors"
        let trained = try latent([
            "train", "classifier", "--data", data, "--out", scratch.file("clf"), "--steps", "3",
            "--batch-size", "16", "--log-every", "1",
        ])
        try #require(trained.status == 0, "\(trained.error)")
        #expect(trained.output.contains("accuracy"), "\(trained.output)")

        let eval = try latent(["eval", classifier, "--data", data, "--out", scratch.file("e"), "--json"])
        try #require(eval.status == 0, "\(eval.error)")
        let figures = try json(eval.output)
        #expect(figures["images"] as? Double == 48)
        let accuracy = try #require(figures["accuracy"] as? Double)
        #expect(accuracy >= 0 && accuracy <= 1)
        #expect((figures["loss_nats"] as? Double).map { $0 > 0 } == true)

        let ddpm = try latent([
            "train", "ddpm", "--data", data, "--out", scratch.file("ddpm"), "--steps", "1",
            "--batch-size", "8", "--config", Self.tinyDDPM,
        ])
        try #require(ddpm.status == 0, "\(ddpm.error)")
        let fid = try latent([
            "fid", scratch.file("ddpm") + "/checkpoint.safetensors", "--classifier", classifier,
            "--data", data, "--count", "12", "--batch-size", "5", "--steps", "2", "--guidance", "1",
            "--out", scratch.file("s"), "--json",
        ])
        try #require(fid.status == 0, "\(fid.error)")
        let report = try json(fid.output)
        #expect((report["fid_fmnist"] as? Double).map { $0 >= 0 } == true, "\(report)")
        #expect((report["floor_fid_fmnist"] as? Double).map { $0 >= 0 } == true, "\(report)")
        #expect(report["samples"] as? Int == 12 && report["floor_train_images"] as? Int == 12)
        #expect(report["sampler"] as? String == "ddim" && report["steps"] as? Int == 2)
        #expect(report["guidance"] as? Double == 1 && report["test_images"] as? Int == 48)
        #expect(report["seed"] as? Int == 0 && report["eta"] as? Double == 0)
        #expect(report["sample_label_accuracy"] != nil && report["classifier_test_accuracy"] as? Double == accuracy)
        #expect(fid.error.contains("sampled 12/12"), "\(fid.error)")
        let samples = try SampleFile.read(scratch.file("s") + "/samples.safetensors")
        #expect(samples.shape == [12, 1, 28, 28])

        // Without a checkpoint only the floor; as a table.
        let floor = try latent(["fid", "--classifier", classifier, "--data", data, "--count", "10"])
        try #require(floor.status == 0, "\(floor.error)")
        #expect(floor.output.contains("floor_fid_fmnist") && !floor.output.contains("\nfid_fmnist"), "\(floor.output)")
        #expect(floor.output.contains("seed                        0\n"), "\(floor.output)")

        // Bad input: clear errors, no crash.
        let cases: [([String], String)] = [
            (["fid", classifier, "--classifier", classifier, "--data", data, "--count", "4"], "holds a classifier model"),
            (["fid", "--classifier", scratch.file("ddpm") + "/checkpoint.safetensors", "--data", data], "not a classifier"),
            (["fid", "--classifier", classifier, "--data", data, "--count", "1"], "at least 2"),
            (["fid", "--classifier", classifier, "--data", data, "--count", "49"], "more than the 48 training images"),
            (["fid", "--classifier", scratch.file("none.safetensors"), "--data", data], "none.safetensors"),
        ]
        for (arguments, fragment) in cases {
            let r = try latent(arguments)
            #expect(r.status != 0 && r.status < 128, "\(arguments): status \(r.status)")
            #expect((r.error + r.output).contains(fragment), "\(arguments): message lacks '\(fragment)': \(r.error)")
        }
    }
}
