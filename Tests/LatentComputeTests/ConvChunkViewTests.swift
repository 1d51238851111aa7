import Testing
@testable import LatentCompute

/// Buffer views and the chunk plan of the composed convolution: chunks read and write in place
/// through views where offsets can be aligned, and fall back to staging copies where they cannot.
@Suite struct ConvChunkViewTests {
    /// The CPU backend and the OpenCL device (when present).
    private static func devices() -> [any Device] {
        var devices: [any Device] = [CPUDevice(threads: 2)]
        if let device = try? openCLDevice() { devices.append(device) }
        return devices
    }

    @Test func viewsReadAndWriteTheirBufferInPlace() throws {
        for device in Self.devices() {
            let alignment = try #require(device.viewAlignmentBytes, "\(device.name) has no views")
            let floats = alignment / 4
            let buffer = try device.upload((0..<(4 * floats)).map(Float.init))
            let view = try #require(try device.view(of: buffer, byteOffset: alignment, byteCount: 2 * alignment))
            try device.fill(view, count: floats, value: -1)
            let all = try device.download(buffer, count: 4 * floats)
            #expect(all[..<floats].elementsEqual((0..<floats).map(Double.init)), "\(device.name)")
            #expect(all[floats..<(2 * floats)].allSatisfy { $0 == -1 }, "\(device.name)")
            #expect(all[(2 * floats)...].elementsEqual(((2 * floats)..<(4 * floats)).map(Double.init)), "\(device.name)")
            // A view of a view addresses the same memory.
            let inner = try #require(try device.view(of: view, byteOffset: alignment, byteCount: alignment))
            #expect(try device.download(inner, count: floats) == ((2 * floats)..<(3 * floats)).map(Double.init))
            #expect(try device.view(of: buffer, byteOffset: 4, byteCount: 4) == nil, "misaligned offset")
            #expect(throws: (any Error).self) { try device.view(of: buffer, byteOffset: alignment, byteCount: 4 * alignment) }
        }
    }

    @Test func chunkPlanUsesViewsOnAlignedOffsets() throws {
        let aligned = ConvGeometry(batch: 7, channels: 8, height: 8, width: 8, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let small = ConvGeometry(batch: 9, channels: 1, height: 4, width: 4, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let odd = ConvGeometry(batch: 5, channels: 3, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        for device in Self.devices() {
            let alignment = try #require(device.viewAlignmentBytes)
            func plan(_ g: ConvGeometry, _ outChannels: Int, budgetImages: Int) -> ConvChunkPlan {
                ScratchBudget.$forcedBytes.withValue(budgetImages * g.columnRows * g.outHeight * g.outWidth * 4) {
                    chunkPlanOf(device, g, imageSizes: [g.imageSize, outChannels * g.outHeight * g.outWidth])
                }
            }
            // 2 KiB images: two per chunk, in place.
            let a = plan(aligned, 16, budgetImages: 2)
            #expect(a.inPlace && a.chunks == [0..<2, 2..<4, 4..<6, 6..<7], "\(device.name)")
            // 64-byte images: chunks rounded down to a multiple of alignment / 64 images.
            let b = plan(small, 2, budgetImages: 3)
            let step = 3 / (alignment / 64) * (alignment / 64)
            #expect(b.inPlace == (step > 0), "\(device.name)")
            if step > 0 { #expect(b.chunks.map(\.count).first == step, "\(device.name)") }
            // 300-byte images need 16 or more images per chunk: staging copies of 2.
            let c = plan(odd, 5, budgetImages: 2)
            #expect(!c.inPlace && c.chunks == [0..<2, 2..<4, 4..<5], "\(device.name)")
            // Without a forced budget a small batch is one chunk.
            #expect(chunkPlanOf(device, aligned, imageSizes: [aligned.imageSize]).chunks == [0..<7])
        }
    }
}

/// The composed convolution's planner on a concrete device (an `any Device` argument is opened).
private func chunkPlanOf<D: Device>(_ device: D, _ g: ConvGeometry, imageSizes: [Int]) -> ConvChunkPlan {
    device.chunkPlan(g, imageSizes: imageSizes)
}
