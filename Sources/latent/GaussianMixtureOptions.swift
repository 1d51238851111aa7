import ArgumentParser
import Foundation
import Latent

/// The options of `latent train gmm` (scikit-learn's GaussianMixture parameters, plus the data source).
struct GaussianMixtureOptions: ParsableArguments {
    @Option(help: "gmm: number of mixture components.") var components = 10
    @Option(help: "gmm: full, tied, diag or spherical (diag here: full on 784 pixels holds K x 784 x 784 values).")
    var covarianceType = "diag"
    @Option(help: "gmm: stop when the mean log-likelihood bound changes by less than this.") var tol = 1e-3
    @Option(help: "gmm: added to the covariance diagonals.") var regCovar = 1e-6
    @Option(help: "gmm: EM iterations per initialisation.") var maxIter = 100
    @Option(help: "gmm: initialisations; the best lower bound is kept.") var nInit = 1
    @Option(help: "gmm: initialisation: kmeans, k-means++, random or random_from_data.") var initParams = "kmeans"
    @Option(help: "gmm: fit to this VAE checkpoint's latent means of the images instead of the pixels.")
    var features: String?
    @Option(help: "gmm: fit to the 2-D tensor `x` of this safetensors file instead of images.") var samples: String?
    @Option(help: "gmm: initial means: the tensor `means` (K x D) of this safetensors file.") var meansInit: String?

    func configuration(seed: UInt64) throws -> GaussianMixtureConfiguration {
        guard let type = GaussianCovarianceType(rawValue: covarianceType) else {
            throw ValidationError("--covariance-type must be full, tied, diag or spherical, not \(covarianceType)")
        }
        guard let initialization = GaussianMixtureInitialization(rawValue: initParams) else {
            throw ValidationError("--init-params must be kmeans, k-means++, random or random_from_data, not \(initParams)")
        }
        let c = GaussianMixtureConfiguration(
            components: components, covarianceType: type, tolerance: tol, regCovar: regCovar,
            maxIterations: maxIter, initializations: nInit, initialization: initialization,
            seed: seed)
        do { try c.validate() } catch { throw ValidationError("\(error)") }
        return c
    }
}

/// Where a mixture's vectors come from, recorded in its checkpoint so `eval` and `sample` can
/// rebuild them: "pixels", "vae:PATH" or "file:PATH".
enum GaussianMixtureSource {
    case pixels
    case vae(String)
    case file(String)

    init(_ options: GaussianMixtureOptions) {
        if let samples = options.samples { self = .file(samples) } else if let vae = options.features { self = .vae(vae) } else { self = .pixels }
    }

    init(metadata: String?) {
        switch metadata {
        case let text? where text.hasPrefix("vae:"): self = .vae(String(text.dropFirst(4)))
        case let text? where text.hasPrefix("file:"): self = .file(String(text.dropFirst(5)))
        default: self = .pixels
        }
    }

    var metadata: String {
        switch self {
        case .pixels: "pixels"
        case .vae(let path): "vae:" + path
        case .file(let path): "file:" + path
        }
    }

    /// The vectors of `split` (for a file source: its tensor `x`, whatever the split).
    func vectors(_ split: DatasetSplit, data: String?, on device: any Device) throws -> Tensor {
        switch self {
        case .file(let path):
            guard let x = try SafeTensors.read(path).tensors["x"], x.shape.count == 2 else {
                throw FileError(.malformed, path: path, "needs a 2-D tensor \"x\" (samples x features)")
            }
            return try x.tensor(on: device)
        case .pixels:
            return try GaussianMixtureFeatures.pixels(MNISTFormat.load(split, from: data ?? MNISTFormat.fashionMNISTFolder), on: device)
        case .vae(let path):
            guard let vae = try ModelRegistry.load(Checkpoint.read(path), path: path, device: device) as? ConvVAE else {
                throw ValidationError("--features needs a VAE checkpoint; \(path) holds another model")
            }
            let images = try MNISTFormat.load(split, from: data ?? MNISTFormat.fashionMNISTFolder)
            return try GaussianMixtureFeatures.latentMeans(vae, images, on: device)
        }
    }
}
