import Foundation
import Latent
import Testing

/// `latent train flow`, `eval`, `sample` of a flow, and its one-line errors.
@Suite struct FlowCommandTests {
    static let config = #"{"stepsPerLevel": 1, "hidden": 4}"#

    @Test func trainEvalAndSampleAFlow() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let run = scratch.file("flow")
        let train = try latent(["train", "flow", "--data", data, "--out", run, "--steps", "2", "--batch-size", "8", "--config", Self.config])
        #expect(train.status == 0, "\(train.error)")
        let eval = try latent(["eval", run + "/checkpoint.safetensors", "--data", data, "--out", scratch.file("e"), "--json", "--limit", "16"])
        #expect(eval.status == 0, "\(eval.error)")
        let figures = try JSONSerialization.jsonObject(with: Data(eval.output.utf8)) as? [String: Any]
        #expect(figures?["images"] as? Int == 16)
        let bits = try #require(figures?["bits_per_dim"] as? Double)
        #expect(bits > 0 && bits < 16, "\(bits)")
        let inverseError = try #require(figures?["inverse_max_error"] as? Double)
        #expect(inverseError < 1e-3, "\(inverseError)")
        let sample = try latent(["sample", run + "/checkpoint.safetensors", "--count", "4", "--temperature", "0.7", "--out", scratch.file("s")])
        #expect(sample.status == 0, "\(sample.error)")
        let drawn = try SafeTensors.read(scratch.file("s/samples.safetensors"))
        #expect(drawn.tensors["samples"]?.shape == [4, 1, 28, 28])
        // `--out NAME.png` names the grid file; the same seed gives the same samples beside it.
        let named = try latent([
            "sample", run + "/checkpoint.safetensors", "--count", "4", "--temperature", "0.7", "--out", scratch.file("g/grid.png"),
        ])
        #expect(named.status == 0, "\(named.error)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("g/grid.png")))
        #expect(!FileManager.default.fileExists(atPath: scratch.file("g/grid.png/samples.png")))
        let beside = try SafeTensors.read(scratch.file("g/grid.safetensors"))
        #expect(try beside.tensors["samples"]?.floats() == drawn.tensors["samples"]?.floats())
    }

    @Test func badInputFailsWithOneLine() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let cases: [([String], String)] = [
            (["--config", #"{"levels": 3}"#], "not divisible by the squeeze factor 2 at level 3"),
            (["--config", #"{"coupling": "additive"}"#], "flow config"),
            (["--config", #"{"imageSize": 32}"#], "the flow takes images [N, 1, 32, 32], got [8, 1, 28, 28]"),
        ]
        let train = ["train", "flow", "--data", data, "--out", scratch.file("o"), "--steps", "1", "--batch-size", "8"]
        try expectOneLineErrors(cases.map { (train + $0.0, [$0.1]) })
    }
}
