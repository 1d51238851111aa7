import ArgumentParser
import Foundation
import Latent

/// `latent fid [CHECKPOINT]`: FID-FMNIST of a DDPM's samples against the test set, with its floor.
struct FIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid",
        abstract: "FID-FMNIST: Fréchet distance of a DDPM checkpoint's samples to the test set, with the train-vs-test floor.",
        discussion: """
            Draws --count samples (class-conditional models: labels cycle 0, 1, …, 9 so classes are balanced), \
            passes them and the test set through a Fashion-MNIST classifier trained with Latent (default: the \
            shipped \(ShippedModels.classifier); train one with `latent train classifier`) and reports the \
            Fréchet distance between the Gaussians of its penultimate features. The floor is the same distance \
            for --count real training images: what a perfect generator would score with that many samples. \
            Without a checkpoint only the floor is computed. Progress goes to stderr, so --json output stays clean.
            """)

    @Argument(help: "A diffusion checkpoint: ddpm, dit or ldm, a vae or a flow (omit to compute only the floor).") var checkpoint: String?
    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var samplerArguments: SamplerArguments
    @Option(help: "Classifier checkpoint (default: \(ShippedModels.classifier)).") var classifier: String?
    @Option(help: "Number of samples, and of training images for the floor.") var count = 1000
    @Option(help: "Images per sampler batch.") var batchSize = 100
    @Option(help: "Random seed of the samples and of the floor's choice of training images.") var seed: UInt64 = 0
    @Option(help: "MNIST-format data folder (default: Debian's Fashion-MNIST).") var data: String?
    @Option(help: "Also write the samples to OUT/samples.png and OUT/samples.safetensors (or OUT.png and OUT.safetensors).")
    var out: String?
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "VAE checkpoints: the prior, normal or gmm:PATH (see latent sample --prior).") var prior: String?
    @Option(help: "flow checkpoints: temperature T of the latents z ~ N(0, T²I).") var temperature: Float = 1

    func validate() throws {
        guard count >= 2 else { throw ValidationError("--count must be at least 2 (a covariance needs two images)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            try runFID()
        }
    }

    func runFID() throws {
        if let out { try SampleOutput(out).prepare() }
        let device = try deviceOptions.resolve()
        // The checkpoint is checked first: the reference statistics take a while.
        let model = try checkpoint.map { path in
            let file = try Checkpoint.read(path)
            let loaded = try ModelRegistry.load(file, path: path, device: device)
            guard loaded is any ImageDiffusionModel || loaded is ConvVAE || loaded is NormalizingFlow else {
                throw ValidationError(
                    "\(path) holds \(withArticle(file.modelType)) model; FID-FMNIST samples a diffusion checkpoint (ddpm, dit or ldm), a vae or a flow"
                )
            }
            return loaded
        }
        let (classifierModel, classifierPath) = try loadClassifier(device: device)
        let fid = try FIDFMNIST(classifier: classifierModel, test: MNISTFormat.load(.test, from: folder), device: device)
        // Checked before sampling, which can take long.
        let train = try MNISTFormat.load(.train, from: folder)
        guard count <= train.count else {
            throw ValidationError("--count \(count) is more than the \(train.count) training images the floor draws from")
        }
        var rows: [(String, Figure)] = []
        if let vae = model as? ConvVAE {
            rows += try scoreVAE(vae, prior: VAEPrior(prior, for: vae), fid: fid, device: device)
        } else if let flow = model as? NormalizingFlow {
            rows += try scoreFlow(flow, temperature: temperature, fid: fid, device: device)
        } else if let diffusion = model as? any ImageDiffusionModel {
            rows += try score(diffusion, fid: fid)
        }
        rows += [
            ("floor_fid_fmnist", .real(try fid.floor(train: train, count: count, seed: seed))),
            ("floor_train_images", .integer(count)), ("test_images", .integer(fid.reference.count)),
            ("seed", .seed(seed)), ("classifier", .text(classifierPath)),
            ("classifier_test_accuracy", .real(fid.referenceAccuracy)),
        ]
        print(json ? try jsonObject(rows) : rows.map { pad($0.0, 28) + $0.1.text }.joined(separator: "\n"))
    }

    var folder: String { data ?? MNISTFormat.fashionMNISTFolder }

    func loadClassifier(device: any Device) throws -> (ConvClassifier, path: String) {
        guard let path = classifier ?? ShippedModels.locate(ShippedModels.classifier) else {
            throw ValidationError(
                "no classifier at \(ShippedModels.classifier); run from the repository root, "
                    + "pass --classifier, or train one with `latent train classifier`")
        }
        let file = try Checkpoint.read(path)
        guard let model = try ModelRegistry.load(file, path: path, device: device) as? ConvClassifier else {
            throw ValidationError("\(path) holds a \(file.modelType) model, not a classifier")
        }
        return (model, path)
    }

    /// Samples the model in batches, collecting classifier features, and returns the report rows.
    func score(_ ddpm: any ImageDiffusionModel, fid: FIDFMNIST) throws -> [(String, Figure)] {
        let options = try samplerArguments.options(seed: seed)
        let labels = ddpm.cyclingLabels(count: count)
        let collector = FeatureCollector(classifier: fid.classifier)
        var kept: [Tensor] = []
        let start = Date()
        try ddpm.sample(count: count, labels: labels, options: options, batchSize: batchSize) { images, batchLabels in
            try collector.add(images, labels: batchLabels)
            if out != nil { kept.append(images) }
            printError(String(format: "sampled %d/%d images (%.0fs)", collector.count, count, Date().timeIntervalSince(start)))
        }
        let seconds = Date().timeIntervalSince(start)
        if let out {
            try writeSamples(Tensor.concat(kept, axis: 0), range: -1...1, labels: labels, to: out)
        }
        var rows: [(String, Figure)] = [
            ("fid_fmnist", .real(try fid.distance(collector))), ("samples", .integer(count)),
            ("sampler", .text(options.method.name)),
            ("steps", .integer(iterations(ddpm, options.method))),
            ("model_evaluations", .integer(try ddpm.diffusion.modelEvaluations(options.method))),
            ("sampling_seconds", .real(seconds)),
        ]
        if case let .ddim(_, eta) = options.method { rows.append(("eta", .real(Double(eta)))) }
        if case let .ode(_, _, spacing) = options.method { rows.append(("spacing", .text(spacing.rawValue))) }
        rows.append(("guidance", .real(Double(samplerArguments.guidance))))
        if let accuracy = collector.accuracy { rows.append(("sample_label_accuracy", .real(accuracy))) }
        return rows
    }

    /// Sampler steps: the requested steps, or every timestep for ancestral sampling.
    func iterations(_ ddpm: any ImageDiffusionModel, _ method: SamplingMethod) -> Int {
        switch method {
        case let .ddim(steps, _), let .ode(_, steps, _): steps
        case .ddpm: ddpm.diffusion.timesteps
        }
    }

    func jsonObject(_ rows: [(String, Figure)]) throws -> String {
        let object = rows.reduce(into: [String: Any]()) { $0[$1.0] = $1.1.json }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// One value of the report: printed with four decimals when real, as JSON of its own type.
enum Figure {
    case real(Double)
    case integer(Int)
    case seed(UInt64)
    case text(String)

    var text: String {
        switch self {
        case let .real(value): String(format: "%.4f", value)
        case let .integer(value): "\(value)"
        case let .seed(value): "\(value)"
        case let .text(value): value
        }
    }

    var json: Any {
        switch self {
        case let .real(value): value
        case let .integer(value): value
        case let .seed(value): NSNumber(value: value)
        case let .text(value): value
        }
    }
}
