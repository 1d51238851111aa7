import Foundation
import Testing

@testable import LatentCompute

/// The OpenCL convolution paths of OpenCL/OpenCLWinograd.swift. Their values are checked against
/// Float64 by the parity suite (ConvProductCases, GemmEpilogueCases); these tests check that the
/// Winograd path is the one taken where it should be: its results differ in the last bits from
/// im2col + GEMM (the composed default, run on the same kernels through `PrimitivesOnlyDevice`),
/// which a fallback to that default would reproduce bit for bit.
@Suite struct OpenCLWinogradTests {
    // 3×3, stride 1, padding 1, 8 → 10 channels (10 output channels: fewer than 16 columns of a
    // product block); batch 2, odd width.
    static let geometry = ConvGeometry(batch: 2, channels: 8, height: 9, width: 11, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
    static let outChannels = 10

    /// (device result, composed result, Float64 reference) of the forward convolution.
    func forward(_ variant: KernelVariant) throws -> ([Double], [Double], [Double]) {
        let device = try DeviceSelection.resolve(.opencl)
        let g = Self.geometry, o = Self.outChannels
        var inputs = ParityInputs(seed: 1600)
        let x = inputs.floats(g.batch * g.imageSize), w = inputs.floats(o * g.columnRows)
        let count = g.batch * o * g.outHeight * g.outWidth
        return try KernelVariant.$forced.withValue(variant) {
            let (xb, wb) = (try device.upload(x), try device.upload(w))
            let native = try device.upload([Float](repeating: .nan, count: count))
            try device.conv2d(xb, weight: wb, native, geometry: g, outChannels: o)
            let composed = try device.upload([Float](repeating: .nan, count: count))
            try PrimitivesOnlyDevice(device).conv2d(xb, weight: wb, composed, geometry: g, outChannels: o)
            let reference = referenceConvProduct(w.map(Double.init), referenceIm2col(x.map(Double.init), g), g, o)
            return (try device.download(native, count: count), try device.download(composed, count: count), reference)
        }
    }

    @Test func cpuShapedDevicesRunWinograd() throws {
        let (native, composed, reference) = try forward(.cpuShaped)
        #expect(native != composed, "the Winograd path rounds differently from im2col + GEMM")
        #expect(ParitySuite.compare([native], [reference]).nmse < 1e-12)
    }

    @Test func gpuShapedDevicesKeepIm2colAndTheTiledProduct() throws {
        let (native, composed, _) = try forward(.gpuShaped)
        #expect(native == composed)
    }

    @Test func theBackwardDataPassRunsWinogradToo() throws {
        let device = try DeviceSelection.resolve(.opencl)
        let g = Self.geometry, o = Self.outChannels
        var inputs = ParityInputs(seed: 1601)
        let gy = inputs.floats(g.batch * o * g.outHeight * g.outWidth), w = inputs.floats(o * g.columnRows)
        let count = g.batch * g.imageSize
        let (native, composed) = try KernelVariant.$forced.withValue(.cpuShaped) {
            let (gyb, wb) = (try device.upload(gy), try device.upload(w))
            let a = try device.upload([Float](repeating: .nan, count: count))
            try device.conv2dBackwardInput(gyb, weight: wb, a, geometry: g, outChannels: o)
            let b = try device.upload([Float](repeating: .nan, count: count))
            try PrimitivesOnlyDevice(device).conv2dBackwardInput(gyb, weight: wb, b, geometry: g, outChannels: o)
            return (try device.download(a, count: count), try device.download(b, count: count))
        }
        let reference = referenceCol2im(referenceConvInputColumns(w.map(Double.init), gy.map(Double.init), g, o), g)
        #expect(native != composed)
        #expect(ParitySuite.compare([native], [reference]).nmse < 1e-12)
    }

    @Test func whichGeometriesQualify() {
        let g = Self.geometry
        #expect(OpenCLWinogradPlan.qualifies(g, outChannels: 1), "any output channel count")
        #expect(!OpenCLWinogradPlan.qualifies(g, outChannels: 0))
        var thin = g
        thin.channels = 7
        var strided = g
        strided.strideX = 2
        var wide = g
        (wide.kernelHeight, wide.kernelWidth) = (5, 5)
        var padded = g
        padded.padX = 3
        for other in [thin, strided, wide, padded] { #expect(!OpenCLWinogradPlan.qualifies(other, outChannels: 8), "\(other)") }
    }

    /// V holds whole blocks of 16 tiles: 16 values per tile and channel, the tile count rounded up.
    @Test func transformedInputsAreWholeBlocksOfSixteenTiles() {
        let g = ConvGeometry(batch: 64, channels: 8, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let plan = OpenCLWinogradPlan(g, outChannels: 8, budget: 1 << 30)
        #expect(plan.tilesPerImage == 16)
        #expect(plan.transformedSize(images: 64, channels: 8) == 16 * 8 * 1024)
        #expect(plan.transformedSize(images: 1, channels: 3) == 16 * 3 * 16)
        let odd = OpenCLWinogradPlan(
            ConvGeometry(batch: 3, channels: 8, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)),
            outChannels: 8, budget: 1 << 30)
        #expect(odd.tilesPerImage == 9)
        #expect(odd.transformedSize(images: 3, channels: 2) == 16 * 2 * 32)
    }

    /// A small budget splits the batch into chunks (the transformed inputs of one chunk fit it).
    @Test func chunksKeepTheTransformedInputUnderTheBudget() {
        let g = ConvGeometry(batch: 64, channels: 64, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let perImage = 16 * 64 * 196 * 4
        #expect(OpenCLWinogradPlan(g, outChannels: 64, budget: 1 << 30).imagesPerChunk == 64)
        #expect(OpenCLWinogradPlan(g, outChannels: 64, budget: 10 * perImage + 1).imagesPerChunk == 10)
        #expect(OpenCLWinogradPlan(g, outChannels: 64, budget: 1).imagesPerChunk == 1)
    }
}

/// Several chunks of images (a budget of one image's transformed input): the filters are
/// transformed in the first chunk only and each chunk writes its own images, with the epilogue.
@Suite struct OpenCLWinogradChunkTests {
    @Test func chunkedRunsMatchFloat64() throws {
        let device = try concreteOpenCLDevice()
        let g = ConvGeometry(batch: 3, channels: 8, height: 7, width: 6, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let o = 9, pixels = g.outHeight * g.outWidth
        var inputs = ParityInputs(seed: 1602)
        let x = inputs.floats(g.batch * g.imageSize), w = inputs.floats(o * g.columnRows), bias = inputs.floats(o)
        let count = g.batch * o * pixels
        let y = try device.upload([Float](repeating: .nan, count: count))
        let epilogue = GemmEpilogue(bias: .init(try device.upload(bias), batchStride: 0, rowStride: 1, columnStride: 0))
        let plan = OpenCLWinogradPlan(g, outChannels: o, budget: 1)
        #expect(plan.imagesPerChunk == 1)
        try device.runWinograd(
            device.upload(x), weight: device.upload(w), flipped: false, y, geometry: g, outChannels: o, epilogue: epilogue,
            budget: 1)
        var reference = referenceConvProduct(w.map(Double.init), referenceIm2col(x.map(Double.init), g), g, o)
        for index in reference.indices { reference[index] += Double(bias[(index / pixels) % o]) }
        #expect(ParitySuite.compare([try device.download(y, count: count)], [reference]).nmse < 1e-12)
    }
}
