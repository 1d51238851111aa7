import Foundation
import Latent
import LatentCompute

/// The parsers that take outside bytes, one fuzz target each. `run` feeds one input to the parser
/// exactly as a user's file would reach it and returns nil when the input is accepted, else the
/// one-line message the user would see. A crash, hang or huge allocation is the bug a fuzzer looks for.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `SafeTensors.decode`: header and body checks, then every tensor read back and re-encoded.
    case safeTensors = "SafeTensors"
    /// A checkpoint file: safetensors, the checkpoint metadata, then the model its config describes
    /// and its weights (`ModelRegistry.load` on the CPU backend).
    case checkpoint = "Checkpoint"
    /// The JSON `--config` of every model: the first byte picks the model, the rest is the JSON.
    case modelConfig = "ModelConfig"
    /// An IDX file as stored (plain, or gzipped when the bytes are a gzip stream).
    case idx = "IDX"
    /// An IDX file whose bytes are gzipped before reading, so the fuzzer explores the IDX parser
    /// behind valid compression.
    case idxGzip = "IDXGzip"
    /// A folder holding one PNG with these bytes, loaded by `ImageFolder.load` (libpng underneath).
    case pngFolder = "PNGFolder"
    /// `SampleFile.read`: a samples file from `latent sample`.
    case sampleFile = "SampleFile"

    /// Feeds one input to the parser. Never throws: a thrown error is the parser's clean refusal.
    public func run(_ bytes: [UInt8]) -> String? {
        do {
            switch self {
            case .safeTensors: try Self.safeTensors(bytes)
            case .checkpoint: try Self.checkpoint(bytes)
            case .modelConfig: try Self.modelConfig(bytes)
            case .idx: _ = try IDX.read(FuzzScratch.shared.write(bytes, as: "input.idx"))
            case .idxGzip: _ = try IDX.read(FuzzScratch.shared.writeGzipped(bytes, as: "input.idx.gz"))
            case .pngFolder: try Self.pngFolder(bytes)
            case .sampleFile: _ = try SampleFile.read(FuzzScratch.shared.write(bytes, as: "input.safetensors"))
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// A file that passes validation must read back and re-encode to the same tensors.
    static func safeTensors(_ bytes: [UInt8]) throws {
        let file = try SafeTensors.decode(bytes, path: "<fuzz>")
        for tensor in file.tensors.values {
            switch tensor.dtype {
            case .f32, .f16, .bf16, .f64: _ = try tensor.floats()
            default: _ = try? tensor.int64s()
            }
        }
        let again = try SafeTensors.decode(file.encoded(), path: "<fuzz re-encoded>")
        precondition(again == file, "a valid safetensors file changed when re-encoded")
    }

    static func checkpoint(_ bytes: [UInt8]) throws {
        let path = "<fuzz>"
        let checkpoint = try Checkpoint(SafeTensors.decode(bytes, path: path), path: path)
        // A Gaussian mixture is not a GenerativeModel: its checkpoint has a loader of its own.
        if checkpoint.modelType == GaussianMixture.modelType {
            _ = try GaussianMixture.load(checkpoint, path: path)
        } else {
            _ = try ModelRegistry.load(checkpoint, path: path, device: FuzzScratch.shared.device)
        }
    }

    static func modelConfig(_ bytes: [UInt8]) throws {
        guard let selector = bytes.first else { return }
        let types = ModelRegistry.types
        let type = types[Int(selector) % types.count]
        let json = String(decoding: bytes.dropFirst(), as: UTF8.self)
        _ = try type.init(configJSON: json, device: FuzzScratch.shared.device, seed: 0)
    }

    static func pngFolder(_ bytes: [UInt8]) throws {
        let scratch = FuzzScratch.shared
        _ = try scratch.write(bytes, as: "images/a.png")
        _ = try ImageFolder.load(scratch.path("images"))
    }
}
