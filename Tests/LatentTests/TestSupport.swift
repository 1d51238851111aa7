import Foundation
import Testing
@testable import Latent

/// A fresh temporary folder, removed when the value is released.
final class TempFolder {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/latent-test-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
    }

    deinit {
        chmod(path, 0o755)
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ bytes: [UInt8], to name: String) {
        _ = FileManager.default.createFile(atPath: file(name), contents: Data(bytes))
    }

    /// Names in the folder, hidden ones included.
    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }
}

/// The committed fixtures next to this file.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name).path
}

func readBytes(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { Array($0) } ?? []
}

/// Runs `body`, expecting a `FileError` of `kind` whose description contains every fragment.
@discardableResult
func expectFileError(
    _ kind: FileError.Kind, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> FileError? {
    do {
        try body()
        Issue.record("expected a \(kind) error, got success", sourceLocation: sourceLocation)
    } catch let error as FileError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected FileError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
