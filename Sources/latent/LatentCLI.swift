import ArgumentParser
import Foundation
import Latent

@main
struct LatentCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latent",
        abstract: "Generative models (VAE, VQ-VAE, DDPM) on OpenCL devices and a pure-Swift CPU backend.",
        discussion: """
            Devices: --device auto (an OpenCL GPU if present, else the CPU backend), cpu, opencl \
            (the first OpenCL device, PoCL included) or opencl:P:D. LATENT_DEVICE sets the default.
            """,
        subcommands: [
            DevicesCommand.self, ParityCommand.self, BenchCommand.self, TrainCommand.self, SampleCommand.self, EvalCommand.self, FIDCommand.self,
            ImportCommand.self, ExportCommand.self, DemoCommand.self,
        ])
}

/// Options every subcommand that computes takes.
struct DeviceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Device: auto, cpu, opencl or opencl:PLATFORM:DEVICE (default: $LATENT_DEVICE, else auto).",
            valueName: "device"))
    var device: String?

    /// The request from --device, else LATENT_DEVICE, else auto.
    func request() throws -> DeviceRequest {
        do {
            if let device { return try DeviceRequest(parsing: device) }
            return try DeviceRequest.fromEnvironment()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Resolves the device; `auto` prints one line when it falls back to the CPU backend.
    func resolve() throws -> any Device {
        try DeviceSelection.resolve(try request()) { message in printError(message) }
    }
}

/// "an autoencoder", "a ddpm": a model type name with its indefinite article.
func withArticle(_ name: String) -> String {
    ("aeiou".contains(name.first ?? "x") ? "an " : "a ") + name
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command's work. ArgumentParser's own errors (ValidationError, ExitCode) pass through to
/// its usual reporting; any other error becomes one "error: …" line on stderr and exit status 1.
func reportingErrors(_ work: () throws -> Void) throws {
    do {
        try work()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}
