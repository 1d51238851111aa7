import Foundation
import Latent
import Testing

/// The `latent` binary next to this test bundle (the test target depends on it, so it is built).
let latentBinary: String = {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("latent").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return bundleDirectory.appendingPathComponent("latent").path
}()

struct RunResult {
    let status: Int32
    let output: String
    let error: String
}

/// A `latent` process (not started) with `arguments`, on the CPU backend.
func latentProcess(_ arguments: [String]) -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: latentBinary)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["LATENT_DEVICE"] = "cpu"
    process.environment = environment
    return process
}

/// Starts `process`, calls `whileRunning`, and returns its exit status and output once it ends.
func runToCompletion(_ process: Process, whileRunning: ((Process) throws -> Void)? = nil) throws -> RunResult {
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    try whileRunning?(process)
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(
        status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
        error: String(decoding: error, as: UTF8.self))
}

/// Runs `latent` with arguments and returns its exit status and output.
func latent(_ arguments: [String]) throws -> RunResult {
    try runToCompletion(latentProcess(arguments))
}

/// Runs each case and expects a clean failure: a non-zero exit that is not a signal, and one line on
/// standard error (argument-parser's usage lines aside) containing every fragment.
func expectOneLineErrors(_ cases: [([String], [String])]) throws {
    for (arguments, fragments) in cases {
        let r = try latent(arguments)
        #expect(r.status != 0 && r.status < 128, "\(arguments): status \(r.status)")
        let lines = r.error.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.isEmpty && !$0.hasPrefix("  See") }
        #expect(lines.count == 1, "\(arguments): \(r.error)")
        for fragment in fragments { #expect(r.error.contains(fragment), "\(arguments): '\(r.error)' lacks '\(fragment)'") }
    }
}

/// A temporary folder removed when the value goes away.
final class Scratch {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "latent-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// A small MNIST-format folder (train and test) of synthetic 28x28 images, so runs are fast.
func tinyDataset(in folder: Scratch, images: Int = 48) throws -> String {
    let dir = folder.file("data")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var pixels: [UInt8] = []
    for i in 0..<images {
        for p in 0..<784 { pixels.append(UInt8(truncatingIfNeeded: (p * (i + 3) + i * 17) % 256)) }
    }
    let labels = (0..<images).map { UInt8($0 % 10) }
    for prefix in ["train", "t10k"] {
        try IDX.write(IDXArray(dimensions: [images, 28, 28], bytes: pixels), to: "\(dir)/\(prefix)-images-idx3-ubyte.gz", gzip: true)
        try IDX.write(IDXArray(dimensions: [images], bytes: labels), to: "\(dir)/\(prefix)-labels-idx1-ubyte.gz", gzip: true)
    }
    return dir
}

@Suite(.serialized) struct CLITests {
    /// Every bad input gets a non-zero exit and a message naming what is wrong, never a crash.
    @Test func badInputGetsAClearError() throws {
        let scratch = Scratch()
        let cases: [([String], String)] = [
            (["train", "nosuch"], "unknown model"),
            (["train", "vae", "--no-such-flag"], "no-such-flag"),
            (["train", "vae", "--data", scratch.file("missing"), "--out", scratch.file("o1")], "dataset-fashion-mnist"),
            (["train", "vae", "--out", "/proc/latent-out"], "output folder"),
            (["devices", "--bogus"], "bogus"),
            (["parity", "--device", "gpu9"], "unknown device"),
            (["sample", scratch.file("absent.safetensors"), "--out", scratch.file("o2")], "absent.safetensors"),
        ]
        for (arguments, fragment) in cases {
            let r = try latent(arguments)
            #expect(r.status != 0, "\(arguments) should fail")
            #expect(r.status < 128, "\(arguments) crashed with status \(r.status)")
            #expect((r.error + r.output).contains(fragment), "\(arguments): message lacks '\(fragment)': \(r.error)")
        }
    }

    @Test func corruptCheckpointsAreRejected() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let out = scratch.file("run")
        let ok = try latent(["train", "vae", "--data", data, "--out", out, "--steps", "2", "--batch-size", "8"])
        try #require(ok.status == 0, "training failed: \(ok.error)")
        let good = try Data(contentsOf: URL(fileURLWithPath: out + "/checkpoint.safetensors"))
        let truncated = scratch.file("truncated.safetensors")
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: truncated))
        let random = scratch.file("random.safetensors")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }).write(to: URL(fileURLWithPath: random))
        for path in [truncated, random] {
            let r = try latent(["sample", path, "--out", scratch.file("s")])
            #expect(r.status != 0 && r.status < 128, "\(path): status \(r.status)")
            #expect(r.error.contains(path), "error should name the file: \(r.error)")
        }
        // A checkpoint of another model cannot be resumed as this one.
        let other = try latent([
            "train", "vqvae", "--data", data, "--out", scratch.file("vq"), "--steps", "3",
            "--resume", out + "/checkpoint.safetensors",
        ])
        #expect(other.status != 0)
        #expect(other.error.contains("vae"), "\(other.error)")
    }

    /// N steps, then resume for M more, equals N + M uninterrupted, bit for bit (CPU backend). The
    /// VQ-VAE runs with an EMA codebook and dead-code restart every 2 steps, which after the resume
    /// at step 3 depends on the idle-code counters saved in the checkpoint.
    @Test(arguments: [
        ["vae"],
        ["vqvae", "--config", #"{"K": 16, "D": 4, "ema": true, "restart_after": 2, "restart_every": 2}"#],
        // Clip factor, skip decision and Adam's t live on the device (issue #13); logged every 3 steps.
        ["ddpm", "--config", CLITests.tinyDDPM, "--clip", "0.5", "--ema", "0.9", "--ema-warmup", "--skip-nonfinite", "2", "--log-every", "3"],
    ])
    func resumeIsBitExact(model: [String]) throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let common = ["train"] + model + ["--data", data, "--batch-size", "8", "--seed", "3", "--lr", "0.003"]
        let straight = try latent(common + ["--out", scratch.file("a"), "--steps", "8"])
        try #require(straight.status == 0, "\(straight.error)")
        let first = try latent(common + ["--out", scratch.file("b"), "--steps", "3"])
        try #require(first.status == 0, "\(first.error)")
        let resumed = try latent(
            common + [
                "--out", scratch.file("b"), "--steps", "8",
                "--resume", scratch.file("b") + "/checkpoint.safetensors",
            ])
        try #require(resumed.status == 0, "\(resumed.error)")
        let a = try Checkpoint.read(scratch.file("a") + "/checkpoint.safetensors")
        let b = try Checkpoint.read(scratch.file("b") + "/checkpoint.safetensors")
        #expect(a.step == 8 && b.step == 8)
        #expect(a.weights.keys.sorted() == b.weights.keys.sorted())
        for (name, tensor) in a.weights { #expect(tensor == b.weights[name], "\(name) differs after resume") }
        #expect(a.optimizerState.keys.sorted() == b.optimizerState.keys.sorted())
        for (name, tensor) in a.optimizerState { #expect(tensor == b.optimizerState[name], "optimizer \(name) differs") }
        #expect(a.rng == b.rng && a.dataPosition == b.dataPosition)
        let metrics = try String(contentsOfFile: scratch.file("b") + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"step\":8"))
        #expect(FileManager.default.fileExists(atPath: scratch.file("b") + "/loss.svg"))
    }

    /// `eval --json` prints one JSON object with every figure of issue #5 (VAE: −ELBO and its parts,
    /// −IWAE with its k; VQ-VAE: MSE, perplexity, codes in use) and writes the reconstructions.
    @Test func evalReportsEveryFigureAsJSON() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        func evaluate(_ model: [String], _ options: [String]) throws -> [String: Any] {
            let run = scratch.file(model[0])
            let trained = try latent(["train"] + model + ["--data", data, "--out", run, "--steps", "2", "--batch-size", "8"])
            try #require(trained.status == 0, "\(trained.error)")
            let r = try latent(["eval", run + "/checkpoint.safetensors", "--data", data, "--out", run + "/eval", "--json"] + options)
            try #require(r.status == 0, "\(r.error)")
            let object = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any]
            let figures = try #require(object, "stdout is not one JSON object: \(r.output)")
            #expect(figures["reconstructions_png"] as? String == run + "/eval/reconstructions.png")
            let png = FileManager.default.contents(atPath: run + "/eval/reconstructions.png") ?? Data()
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "no reconstructions.png")
            return figures
        }
        func number(_ figures: [String: Any], _ key: String) throws -> Double {
            try #require((figures[key] as? NSNumber)?.doubleValue, "\(key) in \(figures)")
        }

        let vae = try evaluate(["vae"], ["--iwae", "4", "--limit", "10"])
        #expect(try number(vae, "images") == 10 && number(vae, "iwae_samples") == 4)
        let (elbo, rec, kl) = (try number(vae, "neg_elbo_nats"), try number(vae, "reconstruction_nats"), try number(vae, "kl_nats"))
        #expect(abs(elbo - (rec + kl)) < 1e-6 * elbo && rec > 0 && kl > 0)
        #expect(try number(vae, "neg_iwae_nats_k4") > 0)

        let vq = try evaluate(["vqvae", "--config", #"{"K": 16, "D": 4}"#], [])
        #expect(try number(vq, "images") == 48 && number(vq, "reconstruction_mse") > 0)
        #expect(try (1...16).contains(number(vq, "perplexity")) && (1...16).contains(number(vq, "mean_batch_perplexity")))
        #expect(try (1.0 / 16...1).contains(number(vq, "codes_in_use")))

        for bad in [["--iwae", "-1"], ["--limit", "0"]] {
            let r = try latent(["eval", scratch.file("vae") + "/checkpoint.safetensors", "--data", data, "--out", scratch.file("e")] + bad)
            #expect(r.status != 0 && r.status < 128 && r.error.contains(bad[0]), "\(bad): \(r.error)")
        }
    }

    /// A U-Net small enough for a CLI test to sample and train in well under a second per step.
    static let tinyDDPM = #"{"unet":{"ch":8,"ch_mult":[1,2,2],"num_res_blocks":1,"attn_resolutions":[],"norm_groups":4},"diffusion":{"T":40}}"#

    /// JSON lines of `latent bench ...` by op (several per op: one per backend).
    func benchLines(_ r: RunResult) throws -> [String: [[String: Any]]] {
        var byOp: [String: [[String: Any]]] = [:]
        for line in r.output.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            byOp[object["op"] as? String ?? "", default: []].append(object)
        }
        return byOp
    }

    @Test func benchSampleComparesBackends() throws {
        let scratch = Scratch()
        let r = try latent([
            "bench", "sample", "--config", Self.tinyDDPM, "--batch", "2", "--steps", "4", "--ddpm-steps", "3",
            "--device", "all", "--json", "--out", scratch.file("grids"),
        ])
        try #require(r.status == 0, "\(r.error)")
        #expect(r.error.contains("randomly initialised"), "\(r.error)")
        let lines = try benchLines(r)
        for op in ["unet_forward", "ddim_sample", "ddpm_sample"] {
            let backends = Set((lines[op] ?? []).compactMap { $0["backend"] as? String })
            #expect(backends == ["cpu", "opencl"], "\(op): \(backends)")
            for line in lines[op] ?? [] { #expect((line["images_per_s"] as? Double ?? 0) > 0, "\(line)") }
        }
        // StepClock: the first of the 4 DDIM steps apart from the median of the other 3.
        for line in lines["ddim_sample"] ?? [] {
            #expect((line["first_step_ms"] as? Double ?? 0) > 0 && (line["later_steps_median_ms"] as? Double ?? 0) > 0, "\(line)")
            #expect(line["first_step_page_faults"] is Int && line["later_steps_page_faults_per_step"] is Double, "\(line)")
        }
        for line in lines["ddpm_sample"] ?? [] {
            #expect(line["steps_timed"] as? Int == 3 && line["steps_total"] as? Int == 40 && line["extrapolated"] as? Bool == true)
            #expect((line["peak_bytes"] as? Int ?? 0) > (line["base_bytes"] as? Int ?? .max))
        }
        let parity = lines["sample_parity"] ?? []
        #expect(Set(parity.compactMap { $0["sampler"] as? String }) == ["ddim", "ddpm"])
        for line in parity {
            let maxAbs = try #require(line["max_abs"] as? Double, "\(line)")
            #expect(maxAbs > 0 && maxAbs < 1e-3, "the backends' images differ by \(maxAbs)")
        }
        #expect(FileManager.default.fileExists(atPath: scratch.file("grids/ddim-opencl.png")))
        let table = try latent([
            "bench", "sample", "--config", Self.tinyDDPM, "--batch", "1", "--steps", "2", "--ddpm-steps", "1",
            "--device", "cpu", "--no-clip-denoised",
        ])
        #expect(table.status == 0 && table.output.contains("1/40") && table.output.contains("extrapolated"), "\(table.output)")
    }

    @Test func benchTrainTimesEveryModel() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let tinyDiT = #"{"hidden_size": 32, "depth": 1, "num_heads": 2}"#
        let configs =
            #"{"ddpm": \#(Self.tinyDDPM), "autoencoder": {"preset": "tiny"}, "dit": {"dit": \#(tinyDiT)}, "#
            + #""ldm": {"autoencoder": {"preset": "tiny"}, "dit": \#(tinyDiT)}}"#
        let r = try latent(["bench", "train", "--quick", "--json", "--device", "cpu", "--data", data, "--batch", "8", "--config", configs])
        try #require(r.status == 0, "\(r.error)")
        let lines = try benchLines(r)
        #expect(
            Set(lines.keys) == [
                "unet_train_step", "vae_train_step", "vqvae_train_step", "vqvae_ema_train_step",
                "autoencoder_train_step", "ldm_train_step", "dit_train_step",
            ])
        for line in lines.values.joined() {
            #expect((line["images_per_s"] as? Double ?? 0) > 0 && (line["shape"] as? String ?? "").hasPrefix("batch 8 "), "\(line)")
            // Counts are deterministic: a training step never waits for the device (issue #13).
            #expect(line["host_syncs_per_step"] as? Double == 0, "\(line)")
        }
        let bad = try latent(["bench", "train", "--config", #"{"gan": {}}"#])
        #expect(bad.status != 0 && bad.status < 128 && bad.error.contains("gan"), "\(bad.error)")
    }

    /// With --clip (the norm and the clip factor on the device) on both backends: no host wait either.
    @Test func benchTrainClipsWithoutHostWaits() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let r = try latent([
            "bench", "train", "--quick", "--json", "--device", "all", "--data", data, "--batch", "4", "--clip", "0.01",
            "--filter", "unet", "--config", #"{"ddpm": \#(Self.tinyDDPM)}"#,
        ])
        try #require(r.status == 0, "\(r.error)")
        let lines = try benchLines(r)["unet_train_step"] ?? []
        #expect(Set(lines.compactMap { $0["backend"] as? String }) == ["cpu", "opencl"], "\(lines)")
        for line in lines { #expect(line["host_syncs_per_step"] as? Double == 0, "\(line)") }
    }

    /// The default subcommand keeps `latent bench [--quick] [--json] [--filter]` as it was.
    @Test func plainBenchStillTimesKernels() throws {
        let r = try latent(["bench", "--quick", "--json", "--filter", "softmax", "--device", "cpu"])
        try #require(r.status == 0, "\(r.error)")
        let lines = try benchLines(r)
        #expect(lines.keys.sorted() == ["softmax"] && lines["softmax"]?.first?["gbps"] != nil, "\(r.output)")
    }

    @Test func nonFiniteLossStopsWithAMessage() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let r = try latent([
            "train", "vae", "--data", data, "--out", scratch.file("nan"), "--steps", "20",
            "--batch-size", "8", "--lr", "1e30",
        ])
        #expect(r.status != 0 && r.status < 128)
        #expect(r.error.contains("NaN or infinite"), "\(r.error)")
    }
}

/// A full disk: a 256 KiB tmpfs (mounting needs root, which CI and these machines have) cannot
/// hold the 2.6 MB checkpoint; training must fail with the write error, not crash or leave a
/// half-written checkpoint behind.
@Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
func fullDiskGetsAClearError() throws {
    let scratch = Scratch()
    let data = try tinyDataset(in: scratch)
    let mountPoint = scratch.file("full")
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint]
    try mount.run()
    mount.waitUntilExit()
    try #require(mount.terminationStatus == 0, "could not mount a tmpfs at \(mountPoint)")
    defer {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = [mountPoint]
        try? umount.run()
        umount.waitUntilExit()
    }
    let r = try latent(["train", "vae", "--data", data, "--out", mountPoint + "/run", "--steps", "2", "--batch-size", "8"])
    #expect(r.status != 0 && r.status < 128)
    #expect(r.error.contains("No space left on device"), "\(r.error)")
    let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: mountPoint + "/run")) ?? []
    #expect(!leftovers.contains("checkpoint.safetensors"), "a partial checkpoint was left: \(leftovers)")
}
