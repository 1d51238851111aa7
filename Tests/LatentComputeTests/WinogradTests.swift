import Foundation
import Testing

@testable import LatentCompute

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) on the CPU backend (CPU/CPUWinograd*.swift), forward and
/// backward-data, against the im2col + GEMM path (the composed default on the same device) and a
/// Float64 reference, on awkward shapes: odd sizes 7 and 13, sizes that are not multiples of 4,
/// rows of 1, 7 and 10 tiles (partial and whole groups of 8), channels not a multiple of 8,
/// batches 1 and 3, paddings 0, 1 and 2.
///
/// Tolerance: the error is measured as max |a − b| over max |reference|. F(2×2)'s transforms add
/// 4 input and 9 output terms with weights ±1, ±½, so its rounding could be a few times the direct
/// sum's (measured: no worse, since each GEMM sums over the channels only, not channels × 9 taps;
/// both ~1e-7 here); 2e-6 leaves room for that. F(4×4)'s weights reach 5 (input), 8 (output) and
/// 1/24 (filters), so its terms cancel more: measured up to 5.1e-6 (33 channels at 28×28), allowed 1e-5. Both still fail
/// for any wrong tap, border or transform coefficient (errors of order 1e-1).
@Suite struct WinogradTests {
    static let shapes: [(ConvGeometry, Int)] = [
        (ConvGeometry(batch: 1, channels: 8, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 8),
        (ConvGeometry(batch: 3, channels: 9, height: 13, width: 13, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 11),
        (ConvGeometry(batch: 3, channels: 12, height: 13, width: 7, kernelHeight: 3, kernelWidth: 3), 10),
        (ConvGeometry(batch: 1, channels: 10, height: 6, width: 9, kernelHeight: 3, kernelWidth: 3, padding: (2, 2)), 9),
        (ConvGeometry(batch: 3, channels: 8, height: 14, width: 14, kernelHeight: 3, kernelWidth: 3, padding: (1, 0)), 16),
        (ConvGeometry(batch: 1, channels: 33, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 19),
        (ConvGeometry(batch: 2, channels: 8, height: 5, width: 37, kernelHeight: 3, kernelWidth: 3, padding: (1, 1)), 9),
        (ConvGeometry(batch: 3, channels: 8, height: 3, width: 3, kernelHeight: 3, kernelWidth: 3), 8),
        (ConvGeometry(batch: 2, channels: 16, height: 3, width: 3, kernelHeight: 3, kernelWidth: 3, padding: (2, 2)), 8),
    ]
    static func tolerance(_ tile: WinogradTile) -> Double { tile == .f2 ? 2e-6 : 1e-5 }
    let cpu = CPUDevice(threads: 2)

    static func error(_ a: [Double], _ b: [Double]) -> Double {
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    @Test(arguments: 0..<shapes.count, WinogradTile.allCases)
    func forwardMatchesTheDirectPathAndFloat64(_ index: Int, _ tile: WinogradTile) throws {
        let (g, o) = Self.shapes[index]
        var inputs = ParityInputs(seed: 1300 + UInt64(index))
        let x = inputs.floats(g.batch * g.channels * g.height * g.width), w = inputs.floats(o * g.columnRows)
        let count = g.batch * o * g.outHeight * g.outWidth
        let (xb, wb) = (try cpu.upload(x), try cpu.upload(w))
        let winograd = try cpu.upload([Float](repeating: .nan, count: count))
        #expect(try cpu.winogradConv2d(xb, weight: wb, winograd, geometry: g, outChannels: o, tile: tile))
        let direct = try cpu.upload([Float](repeating: .nan, count: count))
        try cpu.composedConv2d(xb, weight: wb, direct, geometry: g, outChannels: o)
        let reference = referenceConvProduct(w.map(Double.init), referenceIm2col(x.map(Double.init), g), g, o)
        let a = try cpu.download(winograd, count: count), b = try cpu.download(direct, count: count)
        #expect(Self.error(a, reference) < Self.tolerance(tile), "\(g) o\(o) \(tile): Winograd vs Float64")
        #expect(Self.error(a, b) < Self.tolerance(tile), "\(g) o\(o) \(tile): Winograd vs im2col")
    }

    @Test(arguments: 0..<shapes.count, WinogradTile.allCases)
    func backwardDataMatchesTheDirectPathAndFloat64(_ index: Int, _ tile: WinogradTile) throws {
        let (g, o) = Self.shapes[index]
        var inputs = ParityInputs(seed: 1400 + UInt64(index))
        let gy = inputs.floats(g.batch * o * g.outHeight * g.outWidth), w = inputs.floats(o * g.columnRows)
        let count = g.batch * g.channels * g.height * g.width
        let (gyb, wb) = (try cpu.upload(gy), try cpu.upload(w))
        let winograd = try cpu.upload([Float](repeating: .nan, count: count))
        #expect(try cpu.winogradConv2dBackwardInput(gyb, weight: wb, winograd, geometry: g, outChannels: o, tile: tile))
        let direct = try cpu.upload([Float](repeating: .nan, count: count))
        try cpu.composedConv2dBackwardInput(gyb, weight: wb, direct, geometry: g, outChannels: o)
        let reference = referenceCol2im(referenceConvInputColumns(w.map(Double.init), gy.map(Double.init), g, o), g)
        let a = try cpu.download(winograd, count: count), b = try cpu.download(direct, count: count)
        #expect(Self.error(a, reference) < Self.tolerance(tile), "\(g) o\(o) \(tile): Winograd vs Float64")
        #expect(Self.error(a, b) < Self.tolerance(tile), "\(g) o\(o) \(tile): Winograd vs im2col")
    }

    /// F(4×4)'s filter gradient sums over every output pixel of the batch, so its rounding is
    /// measured against the largest entry like the others (measured up to 3.9e-6 at 28×28, allowed 1e-5).
    @Test(arguments: 0..<shapes.count)
    func weightGradientMatchesTheDirectPathAndFloat64(_ index: Int) throws {
        let (g, o) = Self.shapes[index]
        var inputs = ParityInputs(seed: 1600 + UInt64(index))
        let x = inputs.floats(g.batch * g.channels * g.height * g.width), gy = inputs.floats(g.batch * o * g.outHeight * g.outWidth)
        let count = o * g.columnRows
        let (xb, gyb) = (try cpu.upload(x), try cpu.upload(gy))
        let winograd = try cpu.upload([Float](repeating: .nan, count: count))
        #expect(try cpu.winogradConv2dBackwardWeight(xb, gyb, winograd, geometry: g, outChannels: o, tile: .f4))
        #expect(try !cpu.winogradConv2dBackwardWeight(xb, gyb, winograd, geometry: g, outChannels: o, tile: .f2))
        let direct = try cpu.upload([Float](repeating: .nan, count: count))
        try cpu.composedConv2dBackwardWeight(xb, gyb, direct, geometry: g, outChannels: o)
        let reference = referenceConvWeightGradient(referenceIm2col(x.map(Double.init), g), gy.map(Double.init), g, o)
        let a = try cpu.download(winograd, count: count), b = try cpu.download(direct, count: count)
        #expect(Self.error(a, reference) < Self.tolerance(.f4), "\(g) o\(o): Winograd vs Float64")
        #expect(Self.error(a, b) < Self.tolerance(.f4), "\(g) o\(o): Winograd vs im2col")
    }

    @Test func otherWindowsKeepTheDirectPath() {
        let eligible = ConvGeometry(batch: 2, channels: 8, height: 9, width: 9, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
        #expect(CPUWinograd(eligible, outChannels: 8, threads: 2, tile: .f4) != nil)
        var strided = eligible
        strided.strideY = 2
        var dilated = eligible
        dilated.dilationX = 2
        var wide = eligible
        (wide.kernelHeight, wide.kernelWidth) = (5, 5)
        var padded = eligible
        padded.padY = 3
        var thin = eligible
        thin.channels = 3
        for g in [strided, dilated, wide, padded, thin] { #expect(CPUWinograd(g, outChannels: 8, threads: 2, tile: .f4) == nil, "\(g)") }
        #expect(CPUWinograd(eligible, outChannels: 4, threads: 2, tile: .f4) == nil)
    }

    /// Not a check: one forward and one backward-data pass of the two U-Net convolutions of
    /// models/fmnist-ddpm that issue 13 names, through the CPU dispatch, for
    /// `valgrind --tool=callgrind --toggle-collect='*conv2d*'` (LATENT_WINOGRAD_PROFILE=1; add
    /// LATENT_CPU_WINOGRAD=0 for the im2col + GEMM path).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LATENT_WINOGRAD_PROFILE"] != nil))
    func profileUNetConvolutions() throws {
        for (size, channels) in [(28, 32), (14, 64)] {
            let g = ConvGeometry(
                batch: 64, channels: channels, height: size, width: size, kernelHeight: 3, kernelWidth: 3, padding: (1, 1))
            var inputs = ParityInputs(seed: 1500)
            let x = try cpu.upload(inputs.floats(g.batch * channels * size * size))
            let w = try cpu.upload(inputs.floats(channels * g.columnRows))
            let y = try cpu.makeBuffer(byteCount: g.batch * channels * size * size * 4)
            let gx = try cpu.makeBuffer(byteCount: g.batch * channels * size * size * 4)
            try cpu.conv2d(x, weight: w, y, geometry: g, outChannels: channels)
            try cpu.conv2dBackwardInput(y, weight: w, gx, geometry: g, outChannels: channels)
        }
    }
}
