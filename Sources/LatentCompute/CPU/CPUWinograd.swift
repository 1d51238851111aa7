import Dispatch
import Foundation

/// The output tile of a Winograd convolution F(m×m, 3×3): m×m outputs from an (m+2)×(m+2) input
/// tile through (m+2)² element-wise products per (input, output) channel pair.
enum WinogradTile: Int, Sendable, CaseIterable {
    /// F(2×2, 3×3): 16 products for 4 outputs (2.25 per output instead of 9); transforms with
    /// weights ±1, ±½, so it rounds about like the direct sum.
    case f2 = 2
    /// F(4×4, 3×3): 36 products for 16 outputs (2.25 per output, 1.78× fewer than F(2×2)); the transforms'
    /// weights reach 8 and 1/24, so it rounds a few times worse than the direct sum.
    case f4 = 4

    /// m: the outputs per tile side.
    var outputSize: Int { rawValue }
    /// m + 2: the inputs per tile side.
    var inputSize: Int { rawValue + 2 }
    /// (m + 2)²: the transformed matrices, one GEMM each.
    var matrices: Int { inputSize * inputSize }
}

/// Winograd convolution on the CPU backend (Lavin & Gray 2016) for 3×3 windows with stride 1,
/// dilation 1 and padding ≤ 2, F(4×4, 3×3) unless `LATENT_CPU_WINOGRAD` says otherwise.
///
/// The filters are transformed once per call, U = G·g·Gᵀ ((m+2)² matrices). Tasks of a few
/// consecutive images (fixed per worker, so results do not depend on scheduling) transform their
/// input tiles, V = Bᵀ·d·B ((m+2)² matrices), run one single-threaded SGEMM per matrix and transform
/// back, Y = Aᵀ·M·A. F(2×2) multiplies M = U·V with U [out × in] and V [in × tiles]; F(4×4)
/// multiplies M = V·U with V [tiles × in] and U [in × out] (see each file's header). The backward-data pass of such a convolution
/// is one too: the output gradient convolved with the flipped, transposed filters at padding 2 − p.
/// The transforms of each tile size live in CPUWinogradF2.swift and CPUWinogradF4.swift.
struct CPUWinograd {
    /// Fewer channels than this on either side: the GEMMs get too thin for the transforms to pay
    /// (not measured below 8; the U-Net's only such 3×3 convolutions are its 1-channel input and
    /// output layers).
    static let minimumChannels = 8
    /// Tiles per task: the task's transformed tiles ((m+2)²·in·tiles floats) stay near L2.
    static let targetTiles = 256
    /// The tile the backend uses: `LATENT_CPU_WINOGRAD=0` turns the path off and `=2` picks
    /// F(2×2, 3×3) (to compare them with each other and with im2col + GEMM in one binary).
    static let defaultTile: WinogradTile? = {
        switch getenv("LATENT_CPU_WINOGRAD").map({ String(cString: $0) }) {
        case "0": nil
        case "2": .f2
        default: .f4
        }
    }()

    let geometry: ConvGeometry
    let outChannels: Int
    let tile: WinogradTile
    let tilesY: Int, tilesX: Int
    let imagesPerTask: Int, tasks: Int, workers: Int

    /// nil unless the window is 3×3, stride 1, dilation 1, padding 0…2 and both channel counts
    /// reach `minimumChannels`.
    init?(_ g: ConvGeometry, outChannels: Int, threads: Int, tile: WinogradTile) {
        guard Self.qualifies(g, outChannels: outChannels) else { return nil }
        geometry = g
        self.outChannels = outChannels
        self.tile = tile
        let m = tile.outputSize
        tilesY = (g.outHeight + m - 1) / m
        tilesX = (g.outWidth + m - 1) / m
        let perImage = tilesY * tilesX
        let perThread = (g.batch + threads - 1) / threads
        imagesPerTask = max(1, min(Self.targetTiles / perImage, perThread))
        tasks = (g.batch + imagesPerTask - 1) / imagesPerTask
        workers = min(max(1, threads), tasks)
    }

    /// True when `g` has a 3×3 window, stride 1, dilation 1, padding 0…2, a non-empty output and
    /// both channel counts reach `minimumChannels` (the OpenCL Winograd path uses the same test).
    static func qualifies(_ g: ConvGeometry, outChannels: Int) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1 && g.dilationY == 1
            && g.dilationX == 1 && (0...2).contains(g.padY) && (0...2).contains(g.padX) && g.batch > 0
            && g.channels >= minimumChannels && outChannels >= minimumChannels && g.outHeight > 0 && g.outWidth > 0
    }

    /// The geometry of the backward-data pass of `g` (3×3, stride 1) as a forward convolution of the
    /// output gradient: `outChannels` inputs, padding 2 − p, producing the input's size.
    static func backwardGeometry(_ g: ConvGeometry, outChannels: Int) -> ConvGeometry {
        ConvGeometry(
            batch: g.batch, channels: outChannels, height: g.outHeight, width: g.outWidth, kernelHeight: 3,
            kernelWidth: 3, padding: (2 - g.padY, 2 - g.padX))
    }

    /// U [(m+2)²][out][in] (F(2×2)) or [(m+2)²][in][out] (F(4×4)) from filters [out, in, 3, 3]; with `flipped`, from filters [in, out, 3, 3]
    /// read transposed and rotated by 180° (the backward-data filters). The output channels are
    /// split among `workers` threads (each writes its own rows of U, so the result does not depend
    /// on the split); U comes from the memory pool.
    static func transformFilters(
        _ w: UnsafePointer<Float>, outChannels o: Int, inChannels c: Int, flipped: Bool, tile: WinogradTile, workers: Int
    ) -> PooledFloats {
        let storage = PooledFloats(count: tile.matrices * o * c)
        let u = storage.pointer
        let workers = max(1, min(workers, o))
        DispatchWorkers.run(workers) { worker in
            let rows = o * worker / workers..<o * (worker + 1) / workers
            switch tile {
            case .f2:
                // Matrix ξ of the pair (oc, ic) lives at u[(ξ·o + oc)·c + ic]: U = [out × in] multiplies
                // V = [in × tiles].
                for oc in rows {
                    for ic in 0..<c {
                        let taps: (Int) -> Float = { t in flipped ? w[(ic * o + oc) * 9 + 8 - t] : w[(oc * c + ic) * 9 + t] }
                        transformFilterF2(taps, into: u + oc * c + ic, step: o * c)
                    }
                }
            case .f4: transformFiltersF4(w, outChannels: o, inChannels: c, flipped: flipped, into: u, rows: rows)
            }
        }
        return storage
    }

    /// y [batch, out, outH, outW] = the convolution of x [batch, in, H, W] with transformed filters u.
    func run(_ x: UnsafePointer<Float>, transformedFilters u: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let plan = self
        DispatchWorkers.run(workers) { w in
            let scratch = Scratch(plan)
            let first = plan.tasks * w / plan.workers, last = plan.tasks * (w + 1) / plan.workers
            for task in first..<last {
                let start = task * plan.imagesPerTask
                plan.runTask(images: start..<min(plan.geometry.batch, start + plan.imagesPerTask), x, u, y, scratch)
            }
        }
    }

    /// Per-worker buffers: transformed tiles V, products M, the zero-padded input, a transform's
    /// intermediate rows, staging output, and SGEMM packing; their sizes depend on the tile
    /// (`ScratchSizes`). V and M (megabytes for the U-Net's 28×28 layers) come from the memory pool
    /// like the packing buffers.
    final class Scratch {
        private let vStorage: PooledFloats, mStorage: PooledFloats
        let v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>
        let padded: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
        let gemm: SGEMMKernel.Scratch

        init(_ plan: CPUWinograd) {
            let sizes = plan.scratchSizes
            vStorage = PooledFloats(count: sizes.v)
            mStorage = PooledFloats(count: sizes.m)
            (v, m) = (vStorage.pointer, mStorage.pointer)
            padded = .allocate(capacity: sizes.padded)
            rows = .allocate(capacity: sizes.rows)
            out = .allocate(capacity: sizes.out)
            let tiles = plan.tilesPerTask
            // Room for every product the plan runs: U·V (F(2×2)), V·U (F(4×4)) and Vᵀ·Ŷ (the filter gradient).
            let (c, o) = (plan.geometry.channels, plan.outChannels)
            let packing = SGEMMKernel.Scratch.sizes(m: max(tiles, o, c), n: max(tiles, o), k: max(c, tiles))
            gemm = SGEMMKernel.Scratch(aCount: packing.a, bCount: packing.b)
            switch plan.tile {
            case .f2: plan.clearProductPadding(m)
            case .f4: plan.clearProductPaddingF4(m)
            }
        }

        deinit {
            padded.deallocate()
            rows.deallocate()
            out.deallocate()
        }
    }

    /// Floats of each `Scratch` buffer.
    struct ScratchSizes {
        var v: Int, m: Int, padded: Int, rows: Int, out: Int
    }

    var scratchSizes: ScratchSizes {
        switch tile {
        case .f2: scratchSizesF2
        case .f4: scratchSizesF4
        }
    }

    /// The tiles of one task (its last may hold fewer).
    var tilesPerTask: Int { imagesPerTask * tilesY * tilesX }

    /// Rows of the zero-padded input plane: m·tilesY + 2.
    var paddedHeight: Int { tile.outputSize * tilesY + 2 }

    private func runTask(
        images: Range<Int>, _ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ s: Scratch
    ) {
        switch tile {
        case .f2: runTaskF2(images: images, x, u, y, s)
        case .f4: runTaskF4(images: images, x, u, y, s)
        }
    }
}

/// Runs body(w) for w in 0..<count, on worker threads when count > 1.
enum DispatchWorkers {
    static func run(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            body(0)
            return
        }
        // Workers write disjoint images, so sharing the non-Sendable body is safe.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let shared = body
            DispatchQueue.concurrentPerform(iterations: count) { shared($0) }
        }
    }
}

extension CPUDevice {
    /// conv2d through Winograd when `g` qualifies (`CPUWinograd.init`) and a tile is chosen (by
    /// default `CPUWinograd.defaultTile`); false otherwise.
    func winogradConv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer, geometry g: ConvGeometry,
        outChannels: Int, tile: WinogradTile? = CPUWinograd.defaultTile
    ) throws -> Bool {
        guard let tile, let plan = CPUWinograd(g, outChannels: outChannels, threads: threads, tile: tile) else { return false }
        let x = try winogradFloats(input, g.batch * g.channels * g.height * g.width, "conv2d input")
        let w = try winogradFloats(weight, outChannels * g.columnRows, "conv2d weight")
        let y = try winogradFloats(output, g.batch * outChannels * g.outHeight * g.outWidth, "conv2d output")
        let u = CPUWinograd.transformFilters(
            w, outChannels: outChannels, inChannels: g.channels, flipped: false, tile: tile, workers: threads)
        plan.run(x, transformedFilters: u.pointer, into: y)
        withExtendedLifetime(u) {}
        return true
    }

    /// The input gradient of a qualifying convolution: the output gradient convolved (Winograd) with
    /// the flipped, transposed filters at padding 2 − p; false when `g` does not qualify.
    func winogradConv2dBackwardInput(
        _ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, tile: WinogradTile? = CPUWinograd.defaultTile
    ) throws -> Bool {
        guard let tile, CPUWinograd.qualifies(g, outChannels: outChannels),
            let plan = CPUWinograd(
                CPUWinograd.backwardGeometry(g, outChannels: outChannels), outChannels: g.channels, threads: threads, tile: tile)
        else { return false }
        let gy = try winogradFloats(gradOutput, g.batch * outChannels * g.outHeight * g.outWidth, "conv2d output gradient")
        let w = try winogradFloats(weight, outChannels * g.columnRows, "conv2d weight")
        let gx = try winogradFloats(gradInput, g.batch * g.channels * g.height * g.width, "conv2d input gradient")
        let u = CPUWinograd.transformFilters(
            w, outChannels: g.channels, inChannels: outChannels, flipped: true, tile: tile, workers: threads)
        plan.run(gy, transformedFilters: u.pointer, into: gx)
        withExtendedLifetime(u) {}
        return true
    }

    /// The filter gradient of a qualifying convolution through Winograd F(4×4, 3×3)
    /// (CPUWinogradWeightGradient.swift); false when `g` does not qualify or the tile is not F(4×4).
    func winogradConv2dBackwardWeight(
        _ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, tile: WinogradTile? = CPUWinograd.defaultTile
    ) throws -> Bool {
        guard tile == .f4, let plan = CPUWinograd(g, outChannels: outChannels, threads: threads, tile: .f4) else { return false }
        let x = try winogradFloats(input, g.batch * g.channels * g.height * g.width, "conv2d input")
        let gy = try winogradFloats(gradOutput, g.batch * outChannels * g.outHeight * g.outWidth, "conv2d output gradient")
        let gw = try winogradFloats(gradWeight, outChannels * g.columnRows, "conv2d weight gradient")
        plan.runWeightGradient(x, gradOutput: gy, into: gw)
        return true
    }

    private func winogradFloats(_ buffer: any DeviceBuffer, _ count: Int, _ what: String) throws -> UnsafeMutablePointer<Float> {
        let b = try cpu(buffer)
        guard count * 4 <= b.byteCount else {
            throw ComputeError.invalidArgument("\(what): \(count) floats needed, the buffer holds \(b.byteCount / 4)")
        }
        return b.floats
    }
}
