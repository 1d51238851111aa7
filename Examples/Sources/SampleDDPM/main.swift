// Loads the shipped class-conditional DDPM (models/fmnist-ddpm) and draws one image per class with
// DDIM, as `latent sample` does, then writes them as a grid.
// Usage: SampleDDPM [checkpoint (../models/fmnist-ddpm/checkpoint.safetensors)] [DDIM steps (50)] [output PNG]
import Foundation
import Latent

let arguments = CommandLine.arguments
let path = arguments.count > 1 ? arguments[1] : "../models/fmnist-ddpm/checkpoint.safetensors"
let steps = arguments.count > 2 ? Int(arguments[2]) ?? 50 : 50
let output = arguments.count > 3 ? arguments[3] : "ddpm-samples.png"

do {
    let device = try DeviceSelection.resolve(DeviceRequest.fromEnvironment()) { print($0) }  // LATENT_DEVICE, else auto
    let checkpoint = try Checkpoint.read(path)
    guard let ddpm = try ModelRegistry.load(checkpoint, path: path, device: device) as? DDPMModel else {
        throw ComputeError.invalidArgument("\(path) holds a \(checkpoint.modelType) model, not a DDPM")
    }
    let classes = ddpm.configuration.unet.numClasses ?? 10
    let labels: [Int32]? = ddpm.configuration.unet.numClasses == nil ? nil : (0..<classes).map { Int32($0) }
    let options = SamplerOptions(method: .ddim(steps: steps, eta: 0), seed: 0)
    let images = try ddpm.sample(count: classes, labels: labels, options: options) { progress in
        if progress.step % 10 == 0 { print("DDIM step \(progress.step) of \(progress.steps)") }
    }
    try ImageGrid(columns: classes).writePNG(try images.toArray(), shape: images.shape, range: -1...1, to: output)
    print("wrote \(output): \(classes) images, DDIM \(steps) steps on \(device.name)")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
