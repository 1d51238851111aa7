import ArgumentParser
import Foundation
import Latent

/// `latent train gmm`: fits a Gaussian mixture by EM and writes OUT/checkpoint.safetensors.
func trainGaussianMixture(
    _ options: GaussianMixtureOptions, device: any Device, seed: UInt64, out: String,
    data: String?
) throws {
    let configuration = try options.configuration(seed: seed)
    try prepareOutput(out)
    let source = GaussianMixtureSource(options)
    let x = try source.vectors(.train, data: data, on: device)
    let mixture = try GaussianMixture(configuration)
    if let path = options.meansInit {
        guard let means = try SafeTensors.read(path).tensors["means"] else {
            throw FileError(.malformed, path: path, "needs a tensor \"means\" (components x features)")
        }
        mixture.initialMeans = try doubles(means)
    }
    print(
        "fitting \(configuration.components) \(configuration.covarianceType.rawValue) Gaussians to \(x.shape[0]) x \(x.shape[1]) "
            + "\(source.metadata) on \(device.name)")
    // One untimed EM iteration on the first rows: an OpenCL driver (PoCL) compiles its kernels on
    // first use, which would otherwise count as EM time.
    var warmUp = configuration
    (warmUp.maxIterations, warmUp.initializations) = (1, 1)
    let warmMixture = try GaussianMixture(warmUp)
    warmMixture.initialMeans = mixture.initialMeans
    _ = try? warmMixture.fit(x.slice(axis: 0, 0..<min(x.shape[0], max(configuration.components, 2000))))
    let start = Date()
    let before = device.activity
    try mixture.fit(x)
    let seconds = Date().timeIntervalSince(start)
    let activity = device.activity.since(before)
    if let warning = mixture.convergenceWarning { printError("warning: \(warning)") }
    let path = (out as NSString).appendingPathComponent("checkpoint.safetensors")
    try mixture.checkpoint(extra: ["features": source.metadata]).write(to: path)
    print("iterations   \(mixture.iterations)\nconverged    \(mixture.converged)")
    print(String(format: "lower_bound  %.6f nats per sample", mixture.lowerBound))
    print(String(format: "em_seconds   %.4f", seconds))
    // Launches and host transfers of the whole fit (initialisation, EM, final E-step) per EM iteration.
    let perIteration = { (count: Int) in String(format: "%.1f", Double(count) / Double(max(1, mixture.iterations))) }
    print(
        "em_activity  \(activity) in all; per iteration \(perIteration(activity.launches)) launches, "
            + "\(perIteration(activity.uploads)) uploads, \(perIteration(activity.downloads)) downloads, \(perIteration(activity.waits)) waits")
    print("done: checkpoint \(path)")
}

/// A tensor's values as Float64 (F64 exactly, other float types widened).
func doubles(_ t: SafeTensor) throws -> [Double] {
    guard t.dtype == .f64 else { return try t.floats().map(Double.init) }
    return t.bytes.withUnsafeBytes { raw in (0..<(raw.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
}

/// `latent eval` of a mixture: the mean log-likelihood per test vector (nats), BIC and AIC.
func evaluateGaussianMixture(_ file: Checkpoint, path: String, device: any Device, data: String?) throws -> [(String, Double)] {
    let mixture = try GaussianMixture.load(file, path: path)
    let x = try GaussianMixtureSource(metadata: file.extra["features"]).vectors(.test, data: data, on: device)
    return [
        ("images", Double(x.shape[0])), ("log_likelihood_nats", try mixture.score(x)),
        ("bic", try mixture.bic(x)), ("aic", try mixture.aic(x)),
    ]
}

/// `latent sample` of a mixture: vectors, decoded by the VAE whose latents it was fitted to, or
/// shown as 28 × 28 images when they are Fashion-MNIST pixels.
func sampleGaussianMixture(
    _ file: Checkpoint, path: String, device: any Device, count: Int, seed: UInt64,
    out: String
) throws {
    let mixture = try GaussianMixture.load(file, path: path)
    let (vectors, components) = try mixture.sample(count: count, seed: seed, on: device)
    switch GaussianMixtureSource(metadata: file.extra["features"]) {
    case .vae(let vaePath):
        guard let vae = try ModelRegistry.load(Checkpoint.read(vaePath), path: vaePath, device: device) as? ConvVAE else {
            throw ValidationError("\(vaePath) is not a VAE checkpoint")
        }
        let images = try withoutGrad { try vae.decodedImages(vectors) }
        try writeSamples(images, range: 0...1, labels: components, to: out)
    case .pixels where vectors.shape[1] == 784:
        try writeSamples(try vectors.clamped(0, 1).reshaped([count, 1, 28, 28]), range: 0...1, labels: components, to: out)
    default:
        try SafeTensors(tensors: ["samples": SafeTensor(vectors), "components": SafeTensor(int32s: components, shape: [count])])
            .write(to: SampleOutput(out).tensors)
        print("wrote \(count) vectors to \(SampleOutput(out).tensors)")
        return
    }
    print("wrote \(count) samples to \(SampleOutput(out))")
}
