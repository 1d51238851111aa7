import Foundation
import Testing
@testable import Latent

private func sampleCheckpoint() throws -> Checkpoint {
    Checkpoint(
        weights: [
            "down.0.0.conv1.weight": try SafeTensor(floats: (0..<18).map { Float($0) / 7 }, shape: [2, 1, 3, 3]),
            "down.0.0.conv1.bias": try SafeTensor(floats: [0.25, -0.5], shape: [2]),
        ],
        optimizerState: [
            "m.down.0.0.conv1.bias": try SafeTensor(floats: [1, 2], shape: [2]),
            "step": try SafeTensor(int32s: [1000], shape: []),
        ],
        modelType: "vae", modelConfig: "{\"latent\": 16, \"channels\": [32, 64]}", step: 1000,
        rng: RandomState(seed: 0xDEAD_BEEF_0000_0001, offset: 123_456_789_012),
        dataPosition: BatchPosition(epoch: 3, batch: 17), extra: ["dataset": "fashion-mnist"])
}

@Suite struct CheckpointTests {
    @Test func roundTrip() throws {
        let folder = TempFolder()
        let checkpoint = try sampleCheckpoint()
        try checkpoint.write(to: folder.file("c.safetensors"))
        let back = try Checkpoint.read(folder.file("c.safetensors"))
        #expect(back == checkpoint)
        #expect(back.formatVersion == 1)
        #expect(back.rng.seed == 0xDEAD_BEEF_0000_0001 && back.rng.offset == 123_456_789_012)
        #expect(back.dataPosition == BatchPosition(epoch: 3, batch: 17))
        #expect(back.extra == ["dataset": "fashion-mnist"])
        // On disk: weights under their own names, optimizer state under "optimizer.".
        let raw = try SafeTensors.read(folder.file("c.safetensors"))
        #expect(Set(raw.tensors.keys) == ["down.0.0.conv1.weight", "down.0.0.conv1.bias", "optimizer.m.down.0.0.conv1.bias", "optimizer.step"])
        #expect(raw.metadata?["step"] == "1000" && raw.metadata?["format"] == "latent-checkpoint")
        try back.checkWeights(against: ["down.0.0.conv1.weight": [2, 1, 3, 3], "down.0.0.conv1.bias": [2]], path: "c")
    }

    @Test func checkpointWithoutDataPosition() throws {
        var checkpoint = try sampleCheckpoint()
        checkpoint.dataPosition = nil
        checkpoint.optimizerState = [:]
        let back = try Checkpoint(SafeTensors.decode(checkpoint.safeTensors().encoded(), path: "x"), path: "x")
        #expect(back == checkpoint && back.dataPosition == nil)
    }

    @Test func weightMismatchListsEveryName() throws {
        let checkpoint = try sampleCheckpoint()
        expectFileError(
            .mismatch, "c.safetensors", "missing tensors: down.0.0.conv2.weight",
            "'down.0.0.conv1.weight' has shape [2, 1, 3, 3], expected [4, 1, 3, 3]", "unexpected tensors: down.0.0.conv1.bias"
        ) {
            try checkpoint.checkWeights(against: ["down.0.0.conv1.weight": [4, 1, 3, 3], "down.0.0.conv2.weight": [4]], path: "c.safetensors")
        }
    }

    @Test func badMetadataIsRefused() throws {
        let good = try sampleCheckpoint().safeTensors()
        func refuse(_ kind: FileError.Kind, _ fragment: String, _ change: (inout [String: String]) -> Void) {
            var file = good
            change(&file.metadata!)
            expectFileError(kind, fragment) { _ = try Checkpoint(file, path: "c") }
        }
        refuse(.malformed, "not a Latent checkpoint") { $0["format"] = nil }
        refuse(.unsupported, "format version 2 is newer than this build reads (1)") { $0["format_version"] = "2" }
        refuse(.malformed, "\"step\" is \"-3\", not a non-negative integer") { $0["step"] = "-3" }
        refuse(.malformed, "\"rng_offset\" is \"x\"") { $0["rng_offset"] = "x" }
        refuse(.malformed, "lacks \"rng_seed\"") { $0["rng_seed"] = nil }
        refuse(.malformed, "\"model_config\" is not a JSON object") { $0["model_config"] = "[1, 2" }
        refuse(.malformed, "lacks \"batch\"") { $0["batch"] = nil }
        expectFileError(.malformed, "not a Latent checkpoint") { _ = try Checkpoint.read(fixture("python_reference.safetensors")) }
    }

    @Test func reservedNamesAreRefusedWhenWriting() throws {
        var checkpoint = try sampleCheckpoint()
        checkpoint.extra = ["step": "1"]
        #expect(throws: ComputeError.self) { try checkpoint.safeTensors() }
        checkpoint = try sampleCheckpoint()
        checkpoint.weights["optimizer.x"] = try SafeTensor(floats: [1], shape: [1])
        #expect(throws: ComputeError.self) { try checkpoint.safeTensors() }
    }

    @Test func samplesFileRoundTrip() throws {
        let folder = TempFolder()
        let samples = SampleFile(
            samples: (0..<24).map { Float($0) / 12 - 1 }, shape: [2, 3, 2, 2], range: -1...1,
            labels: [4, 9], extra: ["model": "ddpm", "steps": "50"])
        try samples.write(to: folder.file("samples.safetensors"))
        #expect(try SampleFile.read(folder.file("samples.safetensors")) == samples)
        let raw = try SafeTensors.read(folder.file("samples.safetensors"))
        #expect(raw.metadata?["value_min"] == "-1.0" && raw.metadata?["value_max"] == "1.0")
        #expect(raw["samples"]?.dtype == .f32 && raw["labels"]?.dtype == .i32)
        let unlabelled = SampleFile(samples: [0.5], shape: [1, 1, 1, 1], range: 0...1)
        try unlabelled.write(to: folder.file("u.safetensors"))
        #expect(try SampleFile.read(folder.file("u.safetensors")).labels == nil)
        #expect(throws: ComputeError.self) {
            try SampleFile(samples: [0], shape: [1, 1, 1, 1], range: 0...1, labels: [1, 2]).write(to: folder.file("bad"))
        }
        expectFileError(.malformed, "no N×C×H×W tensor 'samples'") { _ = try SampleFile.read(fixture("python_metadata.safetensors")) }
    }
}
