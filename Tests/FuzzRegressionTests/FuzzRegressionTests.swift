import Foundation
import LatentFuzzing
import Testing

/// The repository root, found from this file's path (fixtures are read from the source tree).
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

private func inputs(_ folder: String, _ target: FuzzTarget) -> [String] {
    let path = "\(repositoryRoot)/\(folder)/\(target.rawValue)"
    return FileManager.default.fileExists(atPath: path) ? FuzzCorpus.files(at: path) : []
}

private func bytes(_ path: String) throws -> [UInt8] {
    try #require(FileManager.default.contents(atPath: path).map(Array.init), "cannot read \(path)")
}

/// Replays the fuzzers' seed corpora and every input a fuzzer once crashed on, through the same
/// harness the fuzz executables use (`make fuzz`; the smoke run is `make fuzz-smoke`).
@Suite struct FuzzRegressionTests {
    /// Every target has seeds, and every seed is a valid file the parser accepts (a seed the
    /// parser refuses would mean the parser rejects good files, or that the corpus rotted).
    @Test(arguments: FuzzTarget.allCases) func seedsAreAccepted(_ target: FuzzTarget) throws {
        let seeds = inputs("Fuzz/Corpus", target)
        #expect(!seeds.isEmpty, "no seeds for \(target.rawValue)")
        for seed in seeds {
            let verdict = target.run(try bytes(seed))
            #expect(verdict == nil, "\(seed): \(verdict ?? "")")
        }
    }

    /// Inputs that once crashed, hung or allocated gigabytes are now refused with a one-line message.
    @Test(arguments: FuzzTarget.allCases) func regressionInputsAreRefusedCleanly(_ target: FuzzTarget) throws {
        for input in inputs("Tests/FuzzRegressionTests/Inputs", target) {
            let verdict = try #require(target.run(try bytes(input)), "\(input) is accepted")
            #expect(!verdict.isEmpty && !verdict.contains("\n"), "\(input): \(verdict)")
        }
    }
}
