import LatentCompute
import Testing
@testable import Latent

/// The pieces of data-parallel training that need no MPI: batch shards and the noise they draw.
struct DataParallelShardTests {
    /// The shards of every rank tile the batch in rank order, as evenly as possible.
    @Test(arguments: [(15, 2), (16, 2), (3, 2), (128, 3), (7, 7)])
    func shardsTileTheBatch(total: Int, ranks: Int) {
        let shards = (0..<ranks).map { BatchShard(rank: $0, of: ranks, total: total) }
        #expect(shards.first?.start == 0)
        for (a, b) in zip(shards, shards.dropFirst()) { #expect(a.start + a.count == b.start) }
        #expect(shards.last.map { $0.start + $0.count } == total)
        let (low, high) = (total / ranks, (total + ranks - 1) / ranks)
        let sizes: [Int] = shards.map(\.count)
        #expect(sizes.allSatisfy { (low...high).contains($0) })
        let weights: Float = shards.map(\.weight).reduce(0, +)
        #expect(abs(weights - 1) < 1e-6)
    }

    /// Each rank's rows of per-image noise are the rows one process draws for the whole batch, and
    /// the stream ends at the same offset.
    @Test func shardNoiseIsTheSingleProcessNoise() throws {
        let device = CPUDevice.shared
        let (total, perRow) = (15, 6)
        let single = NoiseStream(seed: 9, offset: 100)
        let whole = try Tensor.randomNormal([total, perRow], seed: 9, offset: single.takeRows(total, perRow: perRow), on: device).toArray()
        var pieces: [Float] = []
        for rank in 0..<2 {
            let stream = NoiseStream(seed: 9, offset: 100)
            stream.shard = BatchShard(rank: rank, of: 2, total: total)
            let count = stream.shard!.count
            pieces += try Tensor.randomNormal([count, perRow], seed: 9, offset: stream.takeRows(count, perRow: perRow), on: device).toArray()
            #expect(stream.offset == single.offset)
        }
        #expect(pieces == whole)
    }

    /// A batch's shard rows hold that shard's images and labels.
    @Test func batchRowsAreTheShardsImages() throws {
        let images = (0..<(5 * 4)).map(Float.init)
        let batch = Batch(
            images: images, labels: [0, 1, 2, 3, 4], shape: [5, 1, 2, 2], indices: [10, 11, 12, 13, 14],
            position: .start, next: BatchPosition(epoch: 0, batch: 1))
        let part = batch.rows(BatchShard(rank: 1, of: 2, total: 5))
        #expect(part.shape == [3, 1, 2, 2] && part.labels == [2, 3, 4] && part.indices == [12, 13, 14])
        #expect(part.images == Array(images[8...]))
    }

    /// Layouts that leave a rank without images are refused with a message.
    @Test func layoutsLeavingARankEmptyAreRefused() {
        #expect(throws: DistributedError.self) { try validateDataParallelLayout(globalBatch: 1, ranks: 2, images: 10) }
        #expect(throws: DistributedError.self) { try validateDataParallelLayout(globalBatch: 16, ranks: 2, images: 49) }
        #expect(throws: Never.self) { try validateDataParallelLayout(globalBatch: 15, ranks: 2, images: 48) }
    }

    /// Only a launcher's variables make `latent train` join MPI; a missing library is a clear error.
    @Test func mpiIsUsedOnlyWhenLaunchedByMPI() {
        #expect(!MPIProcessGroup.launchedByMPI(environment: ["PATH": "/usr/bin"]))
        #expect(MPIProcessGroup.launchedByMPI(environment: ["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(MPIProcessGroup.launchedByMPI(environment: ["PMI_SIZE": "4"]))
        #expect {
            _ = try MPILibrary.load(libraries: ["libmpi-that-is-not-there.so.40"])
        } throws: { error in
            "\(error)".contains("install Debian's openmpi-bin")
        }
    }

    /// One process: the collectives hand back their input.
    @Test func aSingleProcessGroupIsTheIdentity() throws {
        let group = SingleProcess()
        #expect(try group.allReduceSum([1, 2, 3]) == [1, 2, 3])
        #expect(try group.broadcast([7, 8]) == [7, 8])
        #expect(try group.allGatherRows([1, 2, 3, 4], rowLength: 2) == [1, 2, 3, 4])
    }
}
