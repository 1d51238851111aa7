import Foundation
import Testing
@testable import Latent

/// A process killed mid-write leaves its temporary file behind; the next successful write of the
/// same file removes it, but never the temporary file of a process that still runs.
@Test func orphanedTemporaryFilesAreRemoved() throws {
    let folder = TempFolder()
    // PIDs stop at 2^22 on Linux, so this one is dead; our own PID is alive.
    let dead = folder.file(".c.safetensors.tmp-999999999-1")
    let alive = folder.file(".c.safetensors.tmp-\(getpid())-1")
    let other = folder.file(".d.safetensors.tmp-999999999-1")
    for path in [dead, alive, other] { try AtomicFile.write([9], to: path) }
    try AtomicFile.write([1], to: folder.file("c.safetensors"))
    #expect(folder.contents.sorted() == [".c.safetensors.tmp-\(getpid())-1", ".d.safetensors.tmp-999999999-1", "c.safetensors"])
}
