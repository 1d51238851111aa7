// swift-tools-version:6.0
import PackageDescription

// Two small programs that use Latent as a library, the way another package would: a dependency by path.
// A path dependency's package identity is its folder's name, so it is read off the folder above this one
// (the clone may be called Latent, latent or anything else).
let latent = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "Latent"

let package = Package(
    name: "LatentExamples",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "TrainVAE", dependencies: [.product(name: "Latent", package: latent)]),
        .executableTarget(name: "SampleDDPM", dependencies: [.product(name: "Latent", package: latent)]),
    ],
    swiftLanguageModes: [.v6]
)
