import Foundation
import Testing

@testable import LatentCompute

/// Both OpenCL Winograd kernels of Kernels/winograd.cl, F(4×4) (the default) and F(2×2),
/// forward and backward-data (flipped filters at padding 2 − p), against a
/// Float64 reference on the CPU backend's awkward shapes (`WinogradTests.shapes`) plus output
/// channel counts that leave product blocks partly empty (1, 5, 7: fewer than 6 and 8 rows).
/// Tolerances and the error measure are `WinogradTests`'s; each run starts from a NaN-filled
/// output, so a missed output pixel fails.
@Suite struct OpenCLWinogradTileTests {
    static let shapes: [(ConvGeometry, Int)] =
        WinogradTests.shapes + [
            (ConvGeometry(batch: 2, channels: 8, height: 9, width: 11, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 1),
            (ConvGeometry(batch: 3, channels: 11, height: 10, width: 19, kernelHeight: 3, kernelWidth: 3), 5),
            (ConvGeometry(batch: 5, channels: 8, height: 4, width: 4, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 7),
            // 7×7 planes whose tiles (2 × 2 each) share 16-tile blocks between images; 10×10 (3 × 3).
            (ConvGeometry(batch: 5, channels: 13, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 8),
            (ConvGeometry(batch: 4, channels: 17, height: 10, width: 10, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 12),
        ]
    static let tiles = [2, 4]

    static func tolerance(_ tile: Int) -> Double { WinogradTests.tolerance(tile == 2 ? .f2 : .f4) }

    @Test(arguments: 0..<shapes.count, tiles)
    func forwardMatchesFloat64(_ index: Int, _ tile: Int) throws {
        let device = try concreteOpenCLDevice()
        let (g, o) = Self.shapes[index]
        #expect(device.winogradQualifies(g, outChannels: o))
        var inputs = ParityInputs(seed: 1700 + UInt64(index))
        let x = inputs.floats(g.batch * g.imageSize), w = inputs.floats(o * g.columnRows)
        let count = g.batch * o * g.outHeight * g.outWidth
        let y = try device.upload([Float](repeating: .nan, count: count))
        try device.runWinograd(
            device.upload(x), weight: device.upload(w), flipped: false, y, geometry: g, outChannels: o,
            epilogue: GemmEpilogue(), tile: tile)
        let reference = referenceConvProduct(w.map(Double.init), referenceIm2col(x.map(Double.init), g), g, o)
        let error = WinogradTests.error(try device.download(y, count: count) as [Double], reference)
        #expect(error < Self.tolerance(tile), "\(g) o\(o) F(\(tile)×\(tile)): \(error)")
    }

    @Test(arguments: 0..<shapes.count, tiles)
    func backwardDataMatchesFloat64(_ index: Int, _ tile: Int) throws {
        let device = try concreteOpenCLDevice()
        let (g, o) = Self.shapes[index]
        let backward = CPUWinograd.backwardGeometry(g, outChannels: o)
        #expect(device.winogradQualifies(backward, outChannels: g.channels) == (o >= CPUWinograd.minimumChannels))
        var inputs = ParityInputs(seed: 1800 + UInt64(index))
        let gy = inputs.floats(g.batch * o * g.outHeight * g.outWidth), w = inputs.floats(o * g.columnRows)
        let count = g.batch * g.imageSize
        let gx = try device.upload([Float](repeating: .nan, count: count))
        try device.runWinograd(
            device.upload(gy), weight: device.upload(w), flipped: true, gx, geometry: backward, outChannels: g.channels,
            epilogue: GemmEpilogue(), tile: tile)
        let reference = referenceCol2im(referenceConvInputColumns(w.map(Double.init), gy.map(Double.init), g, o), g)
        let error = WinogradTests.error(try device.download(gx, count: count) as [Double], reference)
        #expect(error < Self.tolerance(tile), "\(g) o\(o) F(\(tile)×\(tile)): \(error)")
    }

    /// Several chunks of images (a budget of one image's transformed input): the filters are
    /// transformed in the first chunk only and each chunk writes its own images, with a bias and a
    /// residual in the epilogue.
    @Test(arguments: tiles)
    func chunkedRunsWithTheEpilogueMatchFloat64(_ tile: Int) throws {
        let device = try concreteOpenCLDevice()
        let g = ConvGeometry(batch: 3, channels: 8, height: 7, width: 6, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        let o = 9, pixels = g.outHeight * g.outWidth
        var inputs = ParityInputs(seed: 1602)
        let x = inputs.floats(g.batch * g.imageSize), w = inputs.floats(o * g.columnRows), bias = inputs.floats(o)
        let count = g.batch * o * pixels
        let residual = inputs.floats(count)
        let y = try device.upload([Float](repeating: .nan, count: count))
        let epilogue = GemmEpilogue(
            bias: .init(try device.upload(bias), batchStride: 0, rowStride: 1, columnStride: 0),
            residual: .init(try device.upload(residual), batchStride: o * pixels, rowStride: pixels, columnStride: 1))
        let plan = OpenCLWinogradPlan(g, outChannels: o, budget: 1, tile: tile)
        #expect(plan.imagesPerChunk == 1)
        try device.runWinograd(
            device.upload(x), weight: device.upload(w), flipped: false, y, geometry: g, outChannels: o, epilogue: epilogue,
            budget: 1, tile: tile)
        var reference = referenceConvProduct(w.map(Double.init), referenceIm2col(x.map(Double.init), g), g, o)
        for index in reference.indices { reference[index] += Double(bias[(index / pixels) % o]) + Double(residual[index]) }
        let error = WinogradTests.error(try device.download(y, count: count) as [Double], reference)
        #expect(error < Self.tolerance(tile), "F(\(tile)×\(tile)): \(error)")
    }
}

/// Not a check: the device time of each OpenCL Winograd kernel, F(2×2) and F(4×4), on the U-Net's
/// three 3×3 convolution sizes at batch 64, printed as `OPENCL_WINOGRAD_PROFILE` lines. Run with
/// LATENT_OPENCL_WINOGRAD_PROFILE=1 LATENT_OPENCL_PROFILE=1 (`swift test --filter OpenCLWinogradProfile`).
@Suite struct OpenCLWinogradProfile {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LATENT_OPENCL_WINOGRAD_PROFILE"] != nil))
    func printKernelTimes() throws {
        let device = try concreteOpenCLDevice()
        for (size, c) in [(28, 64), (14, 128), (7, 128)] {
            let g = ConvGeometry(batch: 64, channels: c, height: size, width: size, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
            var inputs = ParityInputs(seed: 1)
            let x = try device.upload(inputs.floats(g.batch * g.imageSize)), w = try device.upload(inputs.floats(c * g.columnRows))
            let y = try device.makeBuffer(byteCount: g.batch * g.imageSize * 4)
            for tile in [2, 4] {
                try device.runWinograd(x, weight: w, flipped: false, y, geometry: g, outChannels: c, epilogue: GemmEpilogue(), tile: tile)
                let before = device.activity
                for _ in 0..<3 {
                    try device.runWinograd(x, weight: w, flipped: false, y, geometry: g, outChannels: c, epilogue: GemmEpilogue(), tile: tile)
                }
                let d = device.activity.since(before)
                let times = d.nanosecondsByKernel.sorted { $0.key < $1.key }.map { "\($0.key) \(Double($0.value) / 3e6) ms" }
                print("OPENCL_WINOGRAD_PROFILE \(size)×\(size) \(c) → \(c) F(\(tile)×\(tile)):", times.joined(separator: ", "))
            }
        }
    }
}
