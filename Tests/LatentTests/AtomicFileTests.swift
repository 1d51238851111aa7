import Foundation
import Testing
@testable import Latent

private struct Interrupted: Error {}

@Suite struct AtomicFileTests {
    @Test func replacesAndLeavesNoTemporaryFile() throws {
        let folder = TempFolder()
        try AtomicFile.write([1, 2, 3], to: folder.file("f"))
        try AtomicFile.write([4, 5], to: folder.file("f"))
        #expect(readBytes(folder.file("f")) == [4, 5])
        #expect(folder.contents == ["f"])
    }

    @Test func failureMidWriteKeepsTheOldFile() throws {
        let folder = TempFolder()
        try SafeTensors(tensors: ["a": try SafeTensor(floats: [1], shape: [1])]).write(to: folder.file("c.safetensors"))
        let before = readBytes(folder.file("c.safetensors"))
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: folder.file("c.safetensors")) { out in
                try out.write([UInt8](repeating: 7, count: 100_000))
                throw Interrupted()  // e.g. the disk filled up here
            }
        }
        #expect(readBytes(folder.file("c.safetensors")) == before)
        #expect(folder.contents == ["c.safetensors"])
    }

    @Test func missingFolderIsAClearError() {
        let folder = TempFolder()
        expectFileError(.io, "cannot create a temporary file in \(folder.file("no/such"))", "No such file or directory") {
            try AtomicFile.write([1], to: folder.file("no/such/f"))
        }
    }

    @Test func targetThatIsAFolderIsRefusedAndKept() throws {
        let folder = TempFolder()
        try FileManager.default.createDirectory(atPath: folder.file("d/inner"), withIntermediateDirectories: true)
        expectFileError(.io, "cannot replace the file") {
            try SafeTensors().write(to: folder.file("d"))
        }
        #expect(FileManager.default.fileExists(atPath: folder.file("d/inner")))
        #expect(folder.contents == ["d"])
    }

    /// Permissions do not stop root, so this runs only as an ordinary user (as in CI).
    @Test(.enabled(if: geteuid() != 0, "root ignores folder permissions"))
    func unwritableFolderKeepsTheOldFile() throws {
        let folder = TempFolder()
        try AtomicFile.write([9, 9], to: folder.file("f"))
        chmod(folder.path, 0o555)
        defer { chmod(folder.path, 0o755) }
        expectFileError(.io, "cannot create a temporary file", "Permission denied") {
            try AtomicFile.write([1], to: folder.file("f"))
        }
        #expect(readBytes(folder.file("f")) == [9, 9])
    }

    /// /proc refuses new files even for root: an unwritable target on any machine.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self")))
    func unwritableSystemFolder() {
        expectFileError(.io, "/proc/latent-test.safetensors", "cannot create a temporary file in /proc") {
            try SafeTensors().write(to: "/proc/latent-test.safetensors")
        }
    }
}
