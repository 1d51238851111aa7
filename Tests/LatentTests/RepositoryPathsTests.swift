import Foundation
import Testing

/// No file of the repository may point outside it: not to a sibling folder of the clone (the team's
/// former "shared" reference folder) nor to an absolute path of a development machine. A user who
/// clones Latent has neither.
@Suite struct RepositoryPathsTests {
    /// Written in pieces so that this file does not match itself.
    static let forbidden = ["../" + "shared", "/" + "work/", "/" + "home/", "/" + "Users/", "/" + "root/", "C:" + "\\Users"]
    /// Build outputs, tool caches and virtual environments: not part of the repository. (Other hidden
    /// folders are skipped too, except CI's.)
    static let skippedFolders: Set<String> = ["__pycache__", "build", "node_modules"]
    static let checkedHiddenFolders: Set<String> = [".ci", ".github"]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func noFileRefersOutsideTheRepository() throws {
        var offenders = [String]()
        var checked = 0
        let files = try #require(FileManager.default.enumerator(at: Self.root, includingPropertiesForKeys: [.isDirectoryKey]))
        for case let url as URL in files {
            let name = url.lastPathComponent
            if try url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory == true {
                let hidden = name.hasPrefix(".") && !Self.checkedHiddenFolders.contains(name)
                let virtualEnvironment = FileManager.default.fileExists(atPath: url.appendingPathComponent("pyvenv.cfg").path)
                if hidden || virtualEnvironment || Self.skippedFolders.contains(name) || name.hasSuffix(".egg-info") {
                    files.skipDescendants()
                }
                continue
            }
            guard let data = FileManager.default.contents(atPath: url.path), data.count < 4 << 20,
                !data.prefix(8192).contains(0)
            else { continue }  // binary files (weights, pictures) carry no paths
            checked += 1
            let text = String(decoding: data, as: UTF8.self)
            for pattern in Self.forbidden where text.contains(pattern) {
                let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(pattern) }.map { $0 + 1 } ?? 0
                offenders.append("\(url.path.dropFirst(Self.root.path.count + 1)):\(line) refers to '\(pattern)'")
            }
        }
        #expect(checked > 100, "only \(checked) text files found under \(Self.root.path)")
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }
}
