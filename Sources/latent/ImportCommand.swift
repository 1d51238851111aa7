import ArgumentParser
import Foundation
import Latent

/// `latent import STATE_DICT OUTPUT --model M`: a plain PyTorch state_dict → a Latent checkpoint.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a PyTorch state_dict (.safetensors, PyTorch's names) into a Latent checkpoint.",
        discussion: """
            The state_dict must fit the model exactly, as PyTorch's load_state_dict(strict=True) wants: every \
            missing, unexpected or wrongly shaped tensor is listed in one error. F32, F16 and BF16 tensors are \
            accepted (stored as F32). The PyTorch twins of the models are in python/latent_torch \
            (pip install ./python). On any error nothing is written.
            """)

    @Argument(help: "The state_dict, e.g. written by safetensors.torch.save_file(model.state_dict(), path).")
    var stateDict: String
    @Argument(help: "The checkpoint to write.") var output: String
    @Option(help: "The model: \(ModelRegistry.names.joined(separator: ", ")).") var model: String
    @Option(help: "Model configuration as JSON, e.g. '{\"latent\": 32}' (default: the one a `latent export` file carries, else the shipped model's).")
    var config: String?

    func validate() throws {
        guard ModelRegistry.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; choose one of \(ModelRegistry.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        try reportingErrors {
            let file = try SafeTensors.read(stateDict)
            if file.metadata?["format"] == "latent-checkpoint" {
                throw ValidationError("\(stateDict) is already a Latent checkpoint; `latent export` makes a state_dict of it")
            }
            let checkpoint = try StateDictImport.checkpoint(from: file, path: stateDict, modelType: model, configJSON: config)
            try checkpoint.write(to: output)
            print("wrote \(output): a \(model) checkpoint with \(checkpoint.weights.count) tensors")
        }
    }
}
