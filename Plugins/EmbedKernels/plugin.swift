import PackagePlugin

/// Embeds every `Kernels/*.cl` file as a Swift string literal, so the `latent` binary carries its
/// OpenCL sources wherever it is copied while `Kernels/` stays the only place they are written.
@main
struct EmbedKernels: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let sources = target.sourceFiles.map(\.url).filter { $0.pathExtension == "cl" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedKernelSources.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(sources.count) OpenCL kernel files",
                executable: try context.tool(named: "KernelEmbedder").url,
                arguments: [output.path()] + sources.map { $0.path() },
                inputFiles: sources,
                outputFiles: [output])
        ]
    }
}
