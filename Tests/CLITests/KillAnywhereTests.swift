import Foundation
import Latent
import Testing

/// Starts `latent` in the background (CPU backend) with stdout and stderr going to `log`.
private func startLatent(_ arguments: [String], log: String) throws -> Process {
    let process = latentProcess(arguments)
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

/// Temporary files a killed checkpoint write left in `folder` (AtomicFile's `.NAME.tmp-PID-…`).
private func orphans(in folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.contains(".tmp-") }
}

/// Whether a small tmpfs can be mounted here (root, and a kernel that allows it), and if not, why.
enum TmpfsMount {
    static let refusal: String? = {
        guard getuid() == 0 else { return "mounting a tmpfs needs root" }
        let probe = NSTemporaryDirectory() + "latent-tmpfs-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]) == 0 else {
            return "mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?)"
        }
        _ = run("/bin/umount", [probe])
        return nil
    }()

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite(.serialized) struct KillAnywhereTests {
    /// `latent train vae` with a checkpoint after every step is killed at random moments (SIGKILL,
    /// every third signal a Ctrl-C), some of them while a checkpoint is being written. After each
    /// kill the checkpoint on disk must load and be no older than before, and the next start
    /// resumes from it; the run that finally completes must equal an uninterrupted run bit for
    /// bit. CI kills 4 times; `LATENT_KILLS=25 tools/kill_anywhere.sh` is the full version.
    @Test func killedTrainingResumesBitExact() throws {
        let environment = ProcessInfo.processInfo.environment
        let kills = Int(environment["LATENT_KILLS"] ?? "") ?? 4
        let steps = Int(environment["LATENT_KILL_STEPS"] ?? "") ?? (40 + 40 * kills)
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let common = [
            "train", "vae", "--data", data, "--batch-size", "8", "--seed", "5", "--lr", "0.003",
            "--steps", "\(steps)", "--checkpoint-every", "1", "--log-every", "1000",
        ]
        let reference = try latent(common + ["--out", scratch.file("reference")])
        try #require(reference.status == 0, "\(reference.error)")
        // 40 steps per kill: even at 80 steps/s a start gets through fewer than that in the 0.5 s
        // before its kill, so every kill lands before the run could end.

        let out = scratch.file("killed"), checkpoint = out + "/checkpoint.safetensors"
        var tried = 0, duringWrite = 0, interrupts = 0, cleanExits = 0, lastStep = 0, expectedResume: Int? = nil
        var finished = false
        var delays: [String] = []
        while tried < kills {
            let resume = FileManager.default.fileExists(atPath: checkpoint) ? ["--resume", checkpoint] : []
            let log = scratch.file("run\(tried).log")
            let startedAt = Date()
            let process = try startLatent(common + ["--out", out] + resume, log: log)
            let interrupt = tried % 3 == 2
            if interrupt {
                // A Ctrl-C in the instant while `latent` installs its handler is lost (left as is,
                // see the README), so Ctrl-C goes in once this run has written a checkpoint.
                func written() -> Bool {
                    let date = (try? FileManager.default.attributesOfItem(atPath: checkpoint))?[.modificationDate] as? Date
                    return date.map { $0 > startedAt } ?? false
                }
                for _ in 0..<500 where !written() { usleep(10_000) }
            }
            // Startup (data, model) takes a few tenths of a second; steps and writes follow.
            let delay = Double.random(in: 0.02...0.5)
            delays.append(String(format: "%.2f", delay))
            usleep(UInt32(delay * 1e6))
            // A run that completed before its signal is recognised by its exit and log below.
            kill(process.processIdentifier, interrupt ? SIGINT : SIGKILL)
            process.waitUntilExit()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if process.terminationReason == .exit, process.terminationStatus == 0, text.contains("done: step") {
                finished = true  // the run completed before the signal
                break
            }
            tried += 1
            if let expectedResume, text.contains("resumed") {
                #expect(text.contains("at step \(expectedResume) "), "run \(tried) did not resume at step \(expectedResume): \(text)")
            }
            if interrupt {
                interrupts += 1
                // Ctrl-C once training runs: the loop finishes its step, writes, exits 130.
                if process.terminationReason == .exit {
                    #expect(process.terminationStatus == 130, "Ctrl-C: exit \(process.terminationStatus): \(text)")
                    #expect(text.contains("interrupted at step"), "\(text)")
                    cleanExits += 1
                }
            }
            if !orphans(in: out).isEmpty { duringWrite += 1 }
            guard FileManager.default.fileExists(atPath: checkpoint) else {
                #expect(lastStep == 0, "the checkpoint disappeared after kill \(tried)")
                continue
            }
            let saved = try Checkpoint.read(checkpoint)
            #expect(saved.step >= lastStep, "the checkpoint went back from step \(lastStep) to \(saved.step)")
            lastStep = saved.step
            expectedResume = saved.step
            delays[delays.count - 1] += "→\(saved.step)"
        }
        if !finished {
            let last = try latent(common + ["--out", out, "--resume", checkpoint])
            try #require(last.status == 0, "\(last.error)")
        }
        let a = try Checkpoint.read(scratch.file("reference") + "/checkpoint.safetensors")
        let b = try Checkpoint.read(checkpoint)
        #expect(a.step == steps && b.step == steps)
        #expect(a.weights == b.weights, "weights differ from the uninterrupted run")
        #expect(a.optimizerState == b.optimizerState, "optimizer state differs from the uninterrupted run")
        #expect(orphans(in: out).isEmpty, "temporary files left: \(orphans(in: out))")
        #expect(tried == kills, "the run finished after \(tried) of \(kills) kills; raise LATENT_KILL_STEPS")
        print(
            "kill-anywhere: \(tried) kills survived of \(tried) tried (\(interrupts) Ctrl-C, \(cleanExits) of them exiting 130 after a checkpoint; \(duringWrite) during a "
                + "checkpoint write), \(steps) steps, final weights and optimizer state bit-identical; delays \(delays)")
    }

    /// A disk that fills up between two checkpoints: the second write fails with a one-line error
    /// naming the file and the cause, and the first checkpoint stays complete and loadable.
    @Test(.enabled(if: TmpfsMount.refusal == nil, "\(TmpfsMount.refusal ?? "")"))
    func fullDiskKeepsThePreviousCheckpoint() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let disk = scratch.file("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        // The VAE checkpoint is 2.6 MB: one fits in 4 MB, a second next to it (the atomic write's
        // temporary file) does not.
        try #require(TmpfsMount.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk]) == 0)
        defer { TmpfsMount.run("/bin/umount", [disk]) }
        let out = disk + "/run"
        let r = try latent([
            "train", "vae", "--data", data, "--out", out, "--steps", "3", "--batch-size", "8",
            "--checkpoint-every", "1",
        ])
        #expect(r.status == 1, "\(r.output) \(r.error)")
        let message = r.error.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            message.contains("checkpoint.safetensors") && message.contains("No space left on device")
                && !message.contains("\n"), "\(r.error)")
        let kept = try Checkpoint.read(out + "/checkpoint.safetensors")
        #expect(kept.step == 1)
        #expect(orphans(in: out).isEmpty, "temporary files left: \(orphans(in: out))")
    }
}
