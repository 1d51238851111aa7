// Trains Latent's convolutional VAE on Fashion-MNIST for a few hundred steps on whichever backend
// `auto` picks (an OpenCL GPU if there is one, else the CPU backend; LATENT_DEVICE overrides it), then
// writes 64 samples as a grid.
// Usage: TrainVAE [steps (300)] [output PNG (vae-samples.png)] [MNIST-format folder]
import Foundation
import Latent

let arguments = CommandLine.arguments
let steps = arguments.count > 1 ? Int(arguments[1]) ?? 300 : 300
let output = arguments.count > 2 ? arguments[2] : "vae-samples.png"
let folder = arguments.count > 3 ? arguments[3] : MNISTFormat.fashionMNISTFolder

do {
    let device = try DeviceSelection.resolve(DeviceRequest.fromEnvironment()) { print($0) }  // LATENT_DEVICE, else auto
    let train = try MNISTFormat.load(.train, from: folder)
    let model = try ConvVAE(configJSON: "{}", device: device, seed: 0)
    let loader = try BatchLoader(dataset: train, batchSize: 128, seed: 0, scaling: ConvVAE.pixelScaling)
    let trainer = try Trainer(model: model, configuration: TrainingConfiguration(steps: steps), loader: loader, device: device)
    try trainer.run { report in
        if report.step % max(1, steps / 6) == 0 { print("step \(report.step): -ELBO \(report.loss) nats") }
        return true
    }
    model.eval()
    let samples = try model.sample(count: 64, noise: NoiseStream(seed: 1), on: device)
    try ImageGrid().writePNG(try samples.toArray(), shape: samples.shape, range: 0...1, to: output)
    print("wrote \(output) (\(steps) steps on \(device.name))")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
