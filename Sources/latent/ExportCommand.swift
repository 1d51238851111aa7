import ArgumentParser
import Foundation
import Latent

/// `latent export CHECKPOINT OUTPUT [--ema]`: a Latent checkpoint → a plain PyTorch state_dict.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's weights as a plain PyTorch state_dict (.safetensors).",
        discussion: """
            The file holds only the weights (F32, PyTorch's names; no optimizer state), so \
            safetensors.torch.load_file and load_state_dict(strict=True) load it into the model's twin in \
            python/latent_torch (pip install ./python). Its metadata names the model type and configuration.
            """)

    @Argument(help: "A Latent checkpoint.") var checkpoint: String
    @Argument(help: "The state_dict to write.") var output: String
    @Flag(help: "Export the weight EMA the checkpoint keeps (trained with --ema) instead of the weights.")
    var ema = false

    func run() throws {
        try reportingErrors {
            let file = try Checkpoint.read(checkpoint)
            let stateDict = try file.stateDict(ema: ema, path: checkpoint)
            try stateDict.write(to: output)
            print("wrote \(output): \(stateDict.tensors.count) \(ema ? "EMA " : "")tensors of a \(file.modelType) model")
        }
    }
}
