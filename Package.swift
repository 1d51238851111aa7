// swift-tools-version:6.0
import PackageDescription

// CPU target flags (FMA, AVX2) are deliberately not set here: the Makefile passes them to the
// release build and the tests (`-Xswiftc -target-cpu -Xswiftc haswell`). Packages that depend on
// Latent build without them; the SIMD CPU kernels then still work, only slower.
let package = Package(
    name: "Latent",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Latent", targets: ["Latent"]),
        .library(name: "LatentCompute", targets: ["LatentCompute"]),
        .executable(name: "latent", targets: ["latent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // `swift package generate-documentation --target Latent` (and LatentCompute): the DocC catalogs.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL"),
        // libpng and zlib from Debian (libpng-dev, zlib1g-dev) for PNG pictures and gzipped IDX files.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        // The MPI calls of data-parallel training (Open MPI's ABI, declared without mpi.h; libmpi is opened with dlopen).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI"),
        .executableTarget(name: "KernelEmbedder", path: "Sources/KernelEmbedder"),
        .plugin(
            name: "EmbedKernels", capability: .buildTool(), dependencies: ["KernelEmbedder"],
            path: "Plugins/EmbedKernels"),
        // The OpenCL C sources live only in Kernels/; the plugin embeds them as string literals.
        .target(name: "LatentKernels", path: "Kernels", plugins: ["EmbedKernels"]),
        .target(
            name: "LatentCompute", dependencies: ["COpenCL", "LatentKernels"],
            path: "Sources/LatentCompute"),
        .target(name: "Latent", dependencies: ["LatentCompute", "CPNG", "CMPI"], path: "Sources/Latent"),
        .target(name: "LatentBenchmarks", dependencies: ["LatentCompute", "Latent"], path: "Benchmarks/LatentBenchmarks"),
        .executableTarget(
            name: "latent",
            dependencies: [
                "Latent", "LatentCompute", "LatentBenchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "Sources/latent"),
        // Fuzzing (see Fuzz/README.md): the harness library, one executable per parser, and the
        // regression inputs the fuzzers found, replayed by the normal test suite.
        .target(name: "LatentFuzzing", dependencies: ["Latent", "LatentCompute", "CPNG"], path: "Fuzz/LatentFuzzing"),
        .executableTarget(name: "FuzzSafeTensors", dependencies: ["LatentFuzzing"], path: "Fuzz/Targets/SafeTensors"),
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["LatentFuzzing"], path: "Fuzz/Targets/Checkpoint"),
        .executableTarget(name: "FuzzModelConfig", dependencies: ["LatentFuzzing"], path: "Fuzz/Targets/ModelConfig"),
        .executableTarget(name: "FuzzIDX", dependencies: ["LatentFuzzing"], path: "Fuzz/Targets/IDX"),
        .executableTarget(name: "FuzzIDXGzip", dependencies: ["LatentFuzzing"], path: "Fuzz/Targets/IDXGzip"),
        .executableTarget(name: "FuzzPNGFolder", dependencies: ["LatentFuzzing"], path: "Fuzz/Targets/PNGFolder"),
        .executableTarget(name: "FuzzSampleFile", dependencies: ["LatentFuzzing"], path: "Fuzz/Targets/SampleFile"),
        .testTarget(
            name: "FuzzRegressionTests", dependencies: ["LatentFuzzing"], path: "Tests/FuzzRegressionTests",
            exclude: ["Inputs"]),
        .testTarget(name: "LatentComputeTests", dependencies: ["LatentCompute"], path: "Tests/LatentComputeTests"),
        // Fixtures are read from the source tree by path (#filePath), not bundled.
        // Runs the built `latent` binary as a user would (bad input, resume); depends on it so it is built.
        .testTarget(name: "CLITests", dependencies: ["latent", "Latent"], path: "Tests/CLITests"),
        .testTarget(name: "LatentTests", dependencies: ["Latent"], path: "Tests/LatentTests", exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
