import Foundation
import Latent
import Testing

/// Open MPI's launcher, when installed (`make deps` installs openmpi-bin).
let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// mpirun's options for the whole job: root is fine in CI containers, ranks may outnumber cores, and
/// no cross-memory-attach single copy (containers often forbid the ptrace it needs).
let mpirunJobOptions = ["--allow-run-as-root", "--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none"]

/// One app context of an mpirun command line: `ranks` copies of `latent` with `arguments`, one thread each.
func mpirunApp(_ ranks: Int, _ arguments: [String]) -> [String] {
    ["-np", "\(ranks)", "-x", "LATENT_DEVICE=cpu", "-x", "LATENT_THREADS=1", latentBinary] + arguments
}

/// Runs `latent` under mpirun with `ranks` processes; `whileRunning` gets mpirun's process.
func latentMPI(_ ranks: Int, _ arguments: [String], whileRunning: ((Process) throws -> Void)? = nil) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mpirun!)
    process.arguments = mpirunJobOptions + mpirunApp(ranks, arguments)
    return try runToCompletion(process, whileRunning: whileRunning)
}

/// (step, loss) of every line of a run's metrics.jsonl.
func lossCurve(_ run: String) throws -> [(Int, Double)] {
    try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return (try #require(object["step"] as? Int), try #require(object["loss"] as? Double))
    }
}

/// Expects two checkpoints to hold the same step and weights within `tolerance`.
func expectSameWeights(_ pathA: String, _ pathB: String, tolerance: Float = 1e-5) throws {
    let a = try Checkpoint.read(pathA), b = try Checkpoint.read(pathB)
    #expect(a.step == b.step && a.dataPosition == b.dataPosition && a.rng == b.rng)
    #expect(a.weights.keys.sorted() == b.weights.keys.sorted())
    for (name, tensor) in a.weights {
        let x = try tensor.floats(), y = try #require(b.weights[name]).floats()
        let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= tolerance, "\(name): weights differ by \(worst)")
    }
}

@Suite(.serialized, .enabled(if: mpirun != nil, "needs Open MPI's mpirun (Debian's openmpi-bin)"))
struct DataParallelTests {
    /// Two ranks with the same global batch give one process's loss curve and weights, within 1e-5
    /// (relative for the loss). Batch 15 of 48 images: shards of 7 and 8, and a last batch of 3 (1 and 2).
    ///
    /// lr 1e-4: Adam divides each gradient by its running RMS, so a component whose gradient is at
    /// rounding level (it differs with the order of the sum: one batch or two shards) still moves by
    /// about lr per step. Weight differences grow with lr: 1.5e-4 at lr 3e-3, 4.9e-5 at 1e-3 (one
    /// process on 1 vs 2 threads: 4.7e-6 at 3e-3); the loss curves agree to 1.1e-7 at every lr.
    @Test(arguments: [
        ["vae"],
        ["vqvae", "--config", #"{"K": 16, "D": 4, "ema": true, "kmeans_init": true, "restart_after": 2, "restart_every": 2}"#],
        ["autoencoder", "--config", LatentDiffusionCLITests.tinyAutoencoder],
        ["dit", "--config", LatentDiffusionCLITests.tinyDiT],
    ])
    func twoRanksEqualOneProcess(model: [String]) throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let common = ["train"] + model + ["--data", data, "--seed", "3", "--lr", "0.0001", "--steps", "20", "--log-every", "1"]
        let single = try latent(common + ["--batch-size", "15", "--out", scratch.file("one")])
        try #require(single.status == 0, "\(single.error)")
        let parallel = try latentMPI(2, common + ["--global-batch-size", "15", "--out", scratch.file("two")])
        try #require(parallel.status == 0, "\(parallel.error)")
        #expect(parallel.output.contains("2 ranks of 7–8") && parallel.output.contains("gradient all-reduce:"))
        let one = try lossCurve(scratch.file("one")), two = try lossCurve(scratch.file("two"))
        try #require(one.count == 20 && two.count == 20)
        for ((step, a), (_, b)) in zip(one, two) {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "step \(step): loss \(a) in one process, \(b) on two ranks")
        }
        try expectSameWeights(scratch.file("one") + "/checkpoint.safetensors", scratch.file("two") + "/checkpoint.safetensors")
    }

    /// Latent diffusion on two ranks: each rank encodes the training set, rank 0 alone writes the
    /// cache, and the run equals one process's (as for every other model).
    @Test func latentDiffusionOnTwoRanksEqualsOneProcess() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let ae = try LatentDiffusionCLITests().autoencoder(scratch, data: data)
        let common = [
            "train", "ldm", "--autoencoder", ae, "--config", LatentDiffusionCLITests.tinyDiT, "--data", data,
            "--seed", "3", "--lr", "0.0001", "--steps", "6", "--log-every", "1",
        ]
        let single = try latent(common + ["--batch-size", "15", "--out", scratch.file("one")])
        try #require(single.status == 0, "\(single.error)")
        let parallel = try latentMPI(2, common + ["--global-batch-size", "15", "--out", scratch.file("two")])
        try #require(parallel.status == 0, "\(parallel.error)")
        #expect(parallel.output.components(separatedBy: "encoded 48 training images").count == 2, "\(parallel.output)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("two") + "/" + LatentCache.fileName))
        for ((step, a), (_, b)) in zip(try lossCurve(scratch.file("one")), try lossCurve(scratch.file("two"))) {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "step \(step): loss \(a) in one process, \(b) on two ranks")
        }
        try expectSameWeights(scratch.file("one") + "/checkpoint.safetensors", scratch.file("two") + "/checkpoint.safetensors")
    }

    /// A checkpoint written by two ranks resumes in one process (and the other way round) and ends
    /// where an uninterrupted run of the same global batch ends.
    @Test func resumeAcrossRankCounts() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        // The settings of twoRanksEqualOneProcess (at lr 1e-3 and seed 5 one process on OpenCL and on
        // the CPU already differ by 4e-3 after 8 steps: rounding amplified by Adam, see above).
        let common = ["train", "vae", "--data", data, "--seed", "3", "--lr", "0.0001", "--global-batch-size", "15", "--batch-size", "15"]
        let straight = try latent(common + ["--steps", "8", "--out", scratch.file("a")])
        try #require(straight.status == 0, "\(straight.error)")
        let first = try latentMPI(2, common + ["--steps", "3", "--out", scratch.file("b")])
        try #require(first.status == 0, "\(first.error)")
        let second = try latent(common + ["--steps", "6", "--out", scratch.file("b"), "--resume", scratch.file("b") + "/checkpoint.safetensors"])
        try #require(second.status == 0, "\(second.error)")
        let third = try latentMPI(
            2, common + ["--steps", "8", "--out", scratch.file("b"), "--resume", scratch.file("b") + "/checkpoint.safetensors"])
        try #require(third.status == 0, "\(third.error)")
        try expectSameWeights(scratch.file("a") + "/checkpoint.safetensors", scratch.file("b") + "/checkpoint.safetensors")
    }

    /// Ranks started with different options stop at once with one clear error.
    @Test func mismatchedRanksAreRejected() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let common = ["train", "vae", "--data", data, "--steps", "2", "--out", scratch.file("o")]
        // MPMD launch: rank 0 and rank 1 get different seeds.
        let r = try latentMPI(1, common + ["--seed", "1", ":"] + mpirunApp(1, common + ["--seed", "2"]))
        #expect(r.status != 0)
        #expect(r.error.contains("the model or training options differs on 1 rank(s)"), "\(r.error)")
    }

    /// A rank that stops responding makes the others fail after --mpi-timeout instead of hanging.
    @Test func aHungRankStopsTheOthers() throws {
        let scratch = Scratch()
        let data = try tinyDataset(in: scratch)
        let out = scratch.file("o")
        let started = Date()
        let r = try latentMPI(
            2,
            [
                "train", "vae", "--data", data, "--steps", "100000", "--batch-size", "4", "--log-every", "1",
                "--checkpoint-every", "100000", "--mpi-timeout", "3", "--out", out,
            ]
        ) { mpirun in
            // Once rank 0 logs steps, every rank is past MPI_Init: freeze rank 1.
            while (try? String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8))?.isEmpty ?? true {
                guard mpirun.isRunning, Date().timeIntervalSince(started) < 120 else { return }
                usleep(50_000)
            }
            let rank1 = try #require(rankProcess(1, under: mpirun.processIdentifier), "rank 1's process")
            kill(rank1, SIGSTOP)
        }
        #expect(r.status != 0)
        #expect(r.error.contains("did not complete within 3 s"), "\(r.error)")
        #expect(Date().timeIntervalSince(started) < 90)
    }
}

/// The process of rank `rank` among the children of `parent` (by its OMPI_COMM_WORLD_RANK).
func rankProcess(_ rank: Int, under parent: Int32) -> Int32? {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
    for entry in entries {
        guard let pid = Int32(entry),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[1]) == parent,
            let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
        else { continue }
        if environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }) {
            return pid
        }
    }
    return nil
}
