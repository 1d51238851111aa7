import Foundation
import Testing
@testable import Latent

/// `count` images of 1×2×2 whose first pixel is the image index (so batches reveal their indices)
/// and whose other pixels are 0, 255 and 128; label = index % 3.
private func indexedDataset(_ count: Int) throws -> ImageDataset {
    var pixels = [UInt8]()
    for i in 0..<count { pixels += [UInt8(i), 0, 255, 128] }
    return try ImageDataset(pixels: pixels, labels: (0..<count).map { Int32($0 % 3) }, channels: 1, height: 2, width: 2)
}

@Suite struct BatchLoaderTests {
    @Test func sameSeedSameOrderDifferentSeedOrEpochDiffers() throws {
        let data = try indexedDataset(100)
        let a = try BatchLoader(dataset: data, batchSize: 10, seed: 7)
        let b = try BatchLoader(dataset: data, batchSize: 10, seed: 7)
        let c = try BatchLoader(dataset: data, batchSize: 10, seed: 8)
        #expect(a.order(epoch: 0) == b.order(epoch: 0))
        #expect(a.order(epoch: 3) == b.order(epoch: 3))
        #expect(a.order(epoch: 0) != c.order(epoch: 0))
        #expect(a.order(epoch: 0) != a.order(epoch: 1))
        #expect(a.order(epoch: 0) != Array(0..<100))
        let plain = try BatchLoader(dataset: data, batchSize: 10, seed: 7, shuffle: false)
        #expect(plain.order(epoch: 5) == Array(0..<100))
    }

    /// Pins the shuffle algorithm: a change would silently change every resumed run.
    @Test func shuffleIsPinned() throws {
        #expect(ShuffleRandom.permutation(10, seed: 42, epoch: 0) == pinnedOrder)
    }

    @Test func everyIndexOncePerEpochKeepingTheLastBatch() throws {
        let loader = try BatchLoader(dataset: try indexedDataset(23), batchSize: 5, seed: 1)
        #expect(loader.batchesPerEpoch == 5)
        for epoch in 0..<3 {
            var seen = [Int]()
            for b in 0..<loader.batchesPerEpoch {
                let batch = try loader.batch(at: BatchPosition(epoch: epoch, batch: b))
                #expect(batch.shape == [b == 4 ? 3 : 5, 1, 2, 2])
                let expectedFirstPixels: [Float] = batch.indices.map { Float($0) / 255 }
                let firstPixels: [Float] = stride(from: 0, to: batch.images.count, by: 4).map { batch.images[$0] }
                #expect(firstPixels == expectedFirstPixels)
                #expect(batch.labels == batch.indices.map { Int32($0 % 3) })
                seen += batch.indices
            }
            #expect(seen.sorted() == Array(0..<23))
        }
        #expect(throws: ComputeError.self) { try loader.batch(at: BatchPosition(epoch: 0, batch: 5)) }
    }

    @Test func dropLastDropsThePartialBatch() throws {
        let loader = try BatchLoader(dataset: try indexedDataset(23), batchSize: 5, seed: 1, dropLast: true)
        #expect(loader.batchesPerEpoch == 4)
        let all = try (0..<4).flatMap { try loader.batch(at: BatchPosition(epoch: 2, batch: $0)).indices }
        #expect(Set(all).count == 20)
        #expect(all == Array(loader.order(epoch: 2).prefix(20)))
        let tiny = try BatchLoader(dataset: try indexedDataset(3), batchSize: 5, seed: 1, dropLast: true)
        #expect(Array(tiny.batches(toEpoch: 3)).isEmpty)
    }

    @Test func scalingRanges() throws {
        let data = try indexedDataset(4)
        let unit = try BatchLoader(dataset: data, batchSize: 4, seed: 0, shuffle: false).batch(at: .start)
        let symmetric = try BatchLoader(dataset: data, batchSize: 4, seed: 0, shuffle: false, scaling: .minusOneToOne).batch(at: .start)
        let unitExpected: [Float] = [Float(1) / 255, 0, 1, Float(128) / 255]
        let symmetricExpected: [Float] = [-1, -1, 1, Float(128) / 255 * 2 - 1]
        #expect(Array(unit.images[4..<8]) == unitExpected)
        #expect(Array(symmetric.images[0..<4]) == symmetricExpected)
        #expect(unit.images.allSatisfy { (0...1).contains($0) })
        #expect(symmetric.images.allSatisfy { (-1...1).contains($0) })
        #expect(PixelScaling.minusOneToOne.range == -1...1)
    }

    @Test func prefetchedStreamEqualsDirectBatches() throws {
        let loader = try BatchLoader(dataset: try indexedDataset(23), batchSize: 5, seed: 3)
        let streamed = Array(loader.batches(toEpoch: 2, prefetch: 1))
        #expect(streamed.count == 10)
        var position = BatchPosition.start
        for batch in streamed {
            let direct = try loader.batch(at: position)
            #expect(batch.position == position)
            #expect(batch.indices == direct.indices)
            #expect(batch.images == direct.images)
            position = loader.position(after: position)
            #expect(batch.next == position)
        }
        #expect(position == BatchPosition(epoch: 2, batch: 0))
    }

    @Test func resumeMidEpochEqualsUninterrupted() throws {
        let loader = try BatchLoader(dataset: try indexedDataset(37), batchSize: 4, seed: 11, scaling: .minusOneToOne)
        let uninterrupted = Array(loader.batches(toEpoch: 3))
        // Stop after 13 batches (mid-epoch 1), keep the position a checkpoint would store, resume.
        let first = loader.batches(toEpoch: 3)
        var stopAt = BatchPosition.start
        for _ in 0..<13 { stopAt = first.next()!.next }
        first.cancel()
        #expect(stopAt == BatchPosition(epoch: 1, batch: 3))
        let resumed = Array(loader.batches(from: stopAt, toEpoch: 3))
        #expect(resumed.count == uninterrupted.count - 13)
        for (a, b) in zip(resumed, uninterrupted.dropFirst(13)) {
            #expect(a.position == b.position)
            #expect(a.indices == b.indices)
            #expect(a.images == b.images)
            #expect(a.labels == b.labels)
        }
        // A fresh loader (new process) gives the same batches.
        let again = try BatchLoader(dataset: try indexedDataset(37), batchSize: 4, seed: 11, scaling: .minusOneToOne)
        #expect(try again.batch(at: stopAt).indices == resumed[0].indices)
    }

    @Test func droppingAnInfiniteStreamStopsItsThread() throws {
        let loader = try BatchLoader(dataset: try indexedDataset(10), batchSize: 3, seed: 0)
        for _ in 0..<20 {
            let stream = loader.batches(prefetch: 2)
            #expect(stream.next()?.position == .start)
        }
        let stream = loader.batches(from: BatchPosition(epoch: 5, batch: 1))
        #expect(stream.next()?.position == BatchPosition(epoch: 5, batch: 1))
        #expect(stream.next()?.position == BatchPosition(epoch: 5, batch: 2))
        #expect(stream.next()?.position == BatchPosition(epoch: 5, batch: 3))
        #expect(stream.next()?.position == BatchPosition(epoch: 6, batch: 0))
    }

    @Test func invalidStartEndsTheStreamWithAnError() throws {
        let loader = try BatchLoader(dataset: try indexedDataset(10), batchSize: 3, seed: 0)
        let stream = loader.batches(from: BatchPosition(epoch: 0, batch: 9))
        // Batch 9 of a 4-batch epoch: the producer stops at once; the stream is empty.
        #expect(stream.next() == nil)
        #expect(throws: ComputeError.self) { try BatchLoader(dataset: try indexedDataset(10), batchSize: 0, seed: 0) }
    }

    @Test func batchTensorsOnTheCPU() throws {
        let loader = try BatchLoader(dataset: try indexedDataset(6), batchSize: 4, seed: 0)
        let batch = try loader.batch(at: .start)
        let device = CPUDevice()
        #expect(try batch.imagesTensor(on: device).toArray() == batch.images)
        #expect(try batch.labelsTensor(on: device).toIndices() == batch.labels)
    }
}

/// Computed independently by a Python transcription of ShuffleRandom (SplitMix64 + Lemire, Fisher–Yates).
private let pinnedOrder = [3, 1, 6, 2, 5, 7, 8, 0, 4, 9]
