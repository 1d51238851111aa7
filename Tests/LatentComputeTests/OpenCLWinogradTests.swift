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

    /// V holds whole blocks of 16 tiles: 16 (F(2×2)) or 36 (F(4×4)) values per tile and channel,
    /// the tile count rounded up.
    @Test func transformedInputsAreWholeBlocksOfSixteenTiles() {
        let g = ConvGeometry(batch: 64, channels: 8, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let f2 = OpenCLWinogradPlan(g, outChannels: 8, budget: 1 << 30, tile: 2)
        #expect(f2.tilesPerImage == 16)
        #expect(f2.transformedSize(images: 64, channels: 8) == 16 * 8 * 1024)
        #expect(f2.transformedSize(images: 1, channels: 3) == 16 * 3 * 16)
        let f4 = OpenCLWinogradPlan(g, outChannels: 8, budget: 1 << 30, tile: 4)
        #expect(f4.tilesPerImage == 4)
        #expect(f4.transformedSize(images: 64, channels: 8) == 36 * 8 * 256)
        #expect(f4.transformedSize(images: 3, channels: 2) == 36 * 2 * 16)
        #expect(f4.paddedPlaneFloats == (4 * 4 + 2) * 4 * 9, "tilesY rounded up to a group of 4 tile rows")
        let odd = ConvGeometry(batch: 3, channels: 8, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        #expect(OpenCLWinogradPlan(odd, outChannels: 8, budget: 1 << 30, tile: 2).tilesPerImage == 9)
        #expect(OpenCLWinogradPlan(odd, outChannels: 8, budget: 1 << 30, tile: 2).transformedSize(images: 3, channels: 2) == 16 * 2 * 32)
        #expect(OpenCLWinogradPlan(odd, outChannels: 8, budget: 1 << 30, tile: 4).tilesPerImage == 4)
    }

    /// A small budget splits the batch into chunks (the transformed inputs of one chunk fit it).
    @Test(arguments: [2, 4])
    func chunksKeepTheTransformedInputUnderTheBudget(_ tile: Int) {
        let g = ConvGeometry(batch: 64, channels: 64, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let perImage = tile == 2 ? 16 * 64 * 196 * 4 : 36 * 64 * 49 * 4
        #expect(OpenCLWinogradPlan(g, outChannels: 64, budget: 1 << 30, tile: tile).imagesPerChunk == 64)
        #expect(OpenCLWinogradPlan(g, outChannels: 64, budget: 10 * perImage + 1, tile: tile).imagesPerChunk == 10)
        #expect(OpenCLWinogradPlan(g, outChannels: 64, budget: 1, tile: tile).imagesPerChunk == 1)
    }

    /// A padded input plane larger than the device's local memory falls back to im2col + GEMM.
    @Test func planesBeyondLocalMemoryDoNotQualify() throws {
        let device = try concreteOpenCLDevice()
        let side = 2048
        let huge = ConvGeometry(batch: 1, channels: 8, height: side, width: side, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        #expect(OpenCLWinogradPlan(huge, outChannels: 8, budget: 0).paddedPlaneFloats * 4 > device.info.localMemoryBytes)
        #expect(!KernelVariant.$forced.withValue(.cpuShaped) { device.winogradQualifies(huge, outChannels: 8) })
    }
}
