#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Winograd convolution on CPU OpenCL devices (PoCL), Kernels/winograd.cl: F(4×4, 3×3) by default,
/// F(2×2, 3×3) under `LATENT_OPENCL_WINOGRAD=2`; the CPU backend's transforms
/// (CPU/CPUWinograd*.swift) in two launches, as many as im2col + GEMM: the input transform (with
/// the filter transform in extra work-items) and the products folded straight into the output
/// transform and the epilogue. Against im2col + GEMM, F(4×4) does 4× fewer multiplies in the
/// products (F(2×2) 2.25×), and its transformed tiles are 2.25× the input (F(2×2) 4×, im2col 9×).
///
/// GPUs keep im2col + the tiled GEMM (the composed default): the transforms here loop over whole
/// planes per work-item, the CPU shape. On every device type, 1×1 convolutions with stride 1 and no
/// padding skip im2col (their column matrix is the input itself).
extension OpenCLDevice {
    public func conv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        if try winogradConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels, epilogue: GemmEpilogue()) {
            return
        }
        if try pointwiseConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels, epilogue: GemmEpilogue()) {
            return
        }
        try composedConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels)
    }

    public func conv2dEpilogue(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue
    ) throws {
        if try winogradConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels, epilogue: epilogue) {
            return
        }
        if try pointwiseConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels, epilogue: epilogue) {
            return
        }
        try composedConv2dEpilogue(input, weight: weight, output, geometry: g, outChannels: outChannels, epilogue: epilogue)
    }

    public func conv2dBackwardInput(
        _ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        // The output gradient convolved with the flipped, transposed filters at padding 2 − p.
        let backward = CPUWinograd.backwardGeometry(g, outChannels: outChannels)
        if winogradQualifies(g, outChannels: outChannels), winogradQualifies(backward, outChannels: g.channels) {
            return try runWinograd(
                gradOutput, weight: weight, flipped: true, gradInput, geometry: backward, outChannels: g.channels,
                epilogue: GemmEpilogue())
        }
        try composedConv2dBackwardInput(gradOutput, weight: weight, gradInput, geometry: g, outChannels: outChannels)
    }

    /// Whether a convolution runs through Winograd here: a CPU-shaped device, a geometry that
    /// qualifies (`OpenCLWinogradPlan.qualifies`) and a padded input plane that fits local memory.
    func winogradQualifies(_ g: ConvGeometry, outChannels: Int) -> Bool {
        guard usesCPUShapedKernels, OpenCLWinogradPlan.qualifies(g, outChannels: outChannels) else { return false }
        let plan = OpenCLWinogradPlan(g, outChannels: outChannels, budget: 0)
        return plan.paddedPlaneFloats * 4 <= info.localMemoryBytes
    }

    /// The forward convolution through Winograd when `winogradQualifies`; false otherwise.
    private func winogradConv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue
    ) throws -> Bool {
        guard winogradQualifies(g, outChannels: outChannels) else { return false }
        let shape = GemmShape(
            batch: g.batch, m: outChannels, n: g.outHeight * g.outWidth, k: g.columnRows, strideA: 0,
            strideB: g.columnRows * g.outHeight * g.outWidth, strideC: outChannels * g.outHeight * g.outWidth)
        try epilogue.validate(for: shape)
        try runWinograd(input, weight: weight, flipped: false, output, geometry: g, outChannels: outChannels, epilogue: epilogue)
        return true
    }

    /// A 1×1 convolution with stride 1 and no padding is one batched product on the input as it is
    /// (its column matrix would be a copy of it): any device type. False for other geometries.
    private func pointwiseConv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue
    ) throws -> Bool {
        guard g.kernelHeight == 1, g.kernelWidth == 1, g.strideY == 1, g.strideX == 1, g.padY == 0, g.padX == 0,
            g.batch > 0, outChannels > 0, g.channels > 0, g.height > 0, g.width > 0
        else { return false }
        let pixels = g.height * g.width
        let shape = GemmShape(
            batch: g.batch, m: outChannels, n: pixels, k: g.channels, strideA: 0, strideB: g.channels * pixels,
            strideC: outChannels * pixels)
        try gemmEpilogue(weight, input, output, shape: shape, epilogue: epilogue)
        return true
    }

    /// y = the convolution of x with the (flipped) filters through two launches per chunk of images
    /// whose transformed tiles fit the scratch budget: the input transform (whose extra work-items
    /// transform the filters in the first chunk) and the products folded into the output transform.
    /// `budget` is the scratch budget in bytes (tests pass a small one to run several chunks);
    /// `tile` the output tile, 4 (F(4×4)) or 2 (F(2×2)).
    func runWinograd(
        _ x: any DeviceBuffer, weight: any DeviceBuffer, flipped: Bool, _ y: any DeviceBuffer, geometry g: ConvGeometry,
        outChannels o: Int, epilogue: GemmEpilogue, budget: Int? = nil, tile: Int = OpenCLWinogradPlan.defaultTile
    ) throws {
        let plan = OpenCLWinogradPlan(g, outChannels: o, budget: budget ?? scratchBudgetBytes, tile: tile)
        let c = g.channels
        guard x.byteCount >= g.batch * g.imageSize * 4, weight.byteCount >= o * c * 9 * 4,
            y.byteCount >= g.batch * o * g.outHeight * g.outWidth * 4
        else {
            throw ComputeError.invalidArgument("conv2d (Winograd) \(g) o\(o): a buffer is too small")
        }
        guard plan.paddedPlaneFloats * 4 <= info.localMemoryBytes else {
            throw ComputeError.invalidArgument(
                "conv2d (Winograd) \(g): a padded plane of \(plan.paddedPlaneFloats * 4) bytes exceeds the device's local memory")
        }
        let chunkSize = plan.transformedSize(images: plan.imagesPerChunk, channels: c)
        _ = try kernelCount(g.batch * max(g.imageSize, o * g.outHeight * g.outWidth), "conv2d element count")
        _ = try kernelCount(chunkSize, "Winograd transformed input size")
        let u = try makeBuffer(byteCount: plan.transforms * o * c * 4)
        let v = try makeBuffer(byteCount: chunkSize * 4)
        let extra = epilogueArguments(epilogue, fallback: y)
        let prefix = tile == 4 ? "winograd4" : "winograd"
        for first in stride(from: 0, to: g.batch, by: plan.imagesPerChunk) {
            let images = min(plan.imagesPerChunk, g.batch - first)
            let tiles = images * plan.tilesPerImage
            let filterRows = first == 0 ? o : 0
            let inputGeometry = [c, g.height, g.width, g.padY, g.padX, plan.tilesY, plan.tilesX, first]
            try launch(
                family: "winograd", kernel: prefix + "_input", global: [images * c + filterRows], local: [1],
                arguments: [
                    .buffer(x), .buffer(v), .int8(inputGeometry.map { Int32($0) }), .int(Int32(images * c)),
                    .local(bytes: plan.paddedPlaneFloats * 4), .buffer(weight), .buffer(u),
                    .int(Int32(o)), .int(flipped ? 1 : 0), .int(Int32(filterRows)),
                ])
            let productGeometry = [o, g.outHeight, g.outWidth, c, 0, plan.tilesY, plan.tilesX, first]
            try launch(
                family: "winograd", kernel: prefix + "_product",
                global: [((o + plan.productRows - 1) / plan.productRows + 7) / 8 * 8, (tiles + 15) / 16], local: [8, 1],
                arguments: [
                    .buffer(u), .buffer(v), .buffer(y), .int8(productGeometry.map { Int32($0) }), .int(Int32(tiles)),
                ] + extra)
        }
    }
}

/// The tiling of one Winograd convolution on OpenCL.
struct OpenCLWinogradPlan {
    /// `LATENT_OPENCL_WINOGRAD=0` turns the path off (im2col + GEMM, to compare in one binary); `=2`
    /// runs F(2×2) instead of the default F(4×4).
    static let setting: String? = getenv("LATENT_OPENCL_WINOGRAD").map { String(cString: $0) }
    static let enabled = setting != "0"
    /// The output tile of the default path: 4, or 2 under `LATENT_OPENCL_WINOGRAD=2`.
    static let defaultTile = setting == "2" ? 2 : 4

    /// The CPU backend's conditions (`CPUWinograd.qualifies`) except the output channel minimum:
    /// with few output channels (the U-Net's 64 → 1 output layer) the products are thin, but the
    /// input transform still replaces an im2col nine times the input's size.
    static func qualifies(_ g: ConvGeometry, outChannels: Int) -> Bool {
        enabled && outChannels > 0 && CPUWinograd.qualifies(g, outChannels: max(outChannels, CPUWinograd.minimumChannels))
    }

    /// Outputs per tile side, 2 or 4 (the transformed tile's side is tile + 2).
    let tile: Int
    let tilesY: Int, tilesX: Int
    /// Images per chunk: their transformed inputs (transforms·in·tiles floats) fit the budget.
    let imagesPerChunk: Int

    var tilesPerImage: Int { tilesY * tilesX }
    /// Matrices per tile: 16 for F(2×2), 36 for F(4×4).
    var transforms: Int { (tile + 2) * (tile + 2) }
    /// Output channels per work-item of the product kernel.
    var productRows: Int { tile == 4 ? 6 : 4 }

    /// Floats of V for a chunk of `images`: `transforms` values per tile and input channel, in
    /// whole blocks of 16 tiles (winograd_packed_offset, winograd4_packed_offset).
    func transformedSize(images: Int, channels: Int) -> Int {
        transforms * channels * ((images * tilesPerImage + 15) / 16 * 16)
    }
    /// The input kernel's zero-bordered plane. F(2×2): 2·tilesY + 2 rows of 2·(tilesX rounded up
    /// to 8) + 2 floats. F(4×4) (winograd4_input): 4·tilesY' + 2 rows, tilesY rounded up to whole
    /// groups of tile rows, of 4 column phases of tilesX rounded up to 8, plus 1, floats.
    var paddedPlaneFloats: Int {
        let lanes = (tilesX + 7) / 8 * 8
        guard tile == 4 else { return (2 * tilesY + 2) * (2 * lanes + 2) }
        let groupRows = [1, 2, 4].contains(tilesX) ? 8 / tilesX : 1
        return (4 * ((tilesY + groupRows - 1) / groupRows * groupRows) + 2) * 4 * (lanes + 1)
    }

    init(_ g: ConvGeometry, outChannels: Int, budget: Int, tile: Int = OpenCLWinogradPlan.defaultTile) {
        precondition(tile == 2 || tile == 4, "Winograd output tiles are 2×2 or 4×4")
        self.tile = tile
        tilesY = (g.outHeight + tile - 1) / tile
        tilesX = (g.outWidth + tile - 1) / tile
        let perImage = (tile + 2) * (tile + 2) * g.channels * tilesY * tilesX * 4
        imagesPerChunk = max(1, min(g.batch, budget / max(1, perImage)))
    }
}
