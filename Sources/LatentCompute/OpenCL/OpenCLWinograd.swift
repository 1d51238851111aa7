#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Winograd F(2×2, 3×3) convolution on CPU OpenCL devices (PoCL), Kernels/conv.cl: the CPU
/// backend's algorithm (CPU/CPUWinograd.swift) in two launches, as many as im2col + GEMM: the input
/// transform (with the filter transform in extra work-items) and the 16 products folded straight
/// into the output transform and the epilogue. For a U-Net 3×3 convolution (64 → 64 channels,
/// 28×28, batch 64) the products do 2.25× fewer multiplies and the transformed tiles are 4× the
/// input instead of im2col's 9×.
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
        if usesCPUShapedKernels, OpenCLWinogradPlan.qualifies(g, outChannels: outChannels),
            OpenCLWinogradPlan.qualifies(backward, outChannels: g.channels)
        {
            return try runWinograd(
                gradOutput, weight: weight, flipped: true, gradInput, geometry: backward, outChannels: g.channels,
                epilogue: GemmEpilogue())
        }
        try composedConv2dBackwardInput(gradOutput, weight: weight, gradInput, geometry: g, outChannels: outChannels)
    }

    /// The forward convolution through Winograd when the device is CPU-shaped and `g` qualifies
    /// (`OpenCLWinogradPlan.qualifies`); false otherwise.
    private func winogradConv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue
    ) throws -> Bool {
        guard usesCPUShapedKernels, OpenCLWinogradPlan.qualifies(g, outChannels: outChannels) else {
            return false
        }
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
    /// `budget` is the scratch budget in bytes (tests pass a small one to run several chunks).
    func runWinograd(
        _ x: any DeviceBuffer, weight: any DeviceBuffer, flipped: Bool, _ y: any DeviceBuffer, geometry g: ConvGeometry,
        outChannels o: Int, epilogue: GemmEpilogue, budget: Int? = nil
    ) throws {
        let plan = OpenCLWinogradPlan(g, outChannels: o, budget: budget ?? scratchBudgetBytes)
        let c = g.channels
        guard x.byteCount >= g.batch * g.imageSize * 4, weight.byteCount >= o * c * 9 * 4,
            y.byteCount >= g.batch * o * g.outHeight * g.outWidth * 4
        else {
            throw ComputeError.invalidArgument("conv2d (Winograd) \(g) o\(o): a buffer is too small")
        }
        let chunkSize = plan.transformedSize(images: plan.imagesPerChunk, channels: c)
        _ = try kernelCount(g.batch * max(g.imageSize, o * g.outHeight * g.outWidth), "conv2d element count")
        _ = try kernelCount(chunkSize, "Winograd transformed input size")
        let u = try makeBuffer(byteCount: 16 * o * c * 4)
        let v = try makeBuffer(byteCount: chunkSize * 4)
        let extra = epilogueArguments(epilogue, fallback: y)
        for first in stride(from: 0, to: g.batch, by: plan.imagesPerChunk) {
            let images = min(plan.imagesPerChunk, g.batch - first)
            let tiles = images * plan.tilesPerImage
            let filterRows = first == 0 ? o : 0
            let inputGeometry = [c, g.height, g.width, g.padY, g.padX, plan.tilesY, plan.tilesX, first]
            try launch(
                family: "conv", kernel: "winograd_input", global: [images * c + filterRows], local: [1],
                arguments: [
                    .buffer(x), .buffer(v), .int8(inputGeometry.map { Int32($0) }), .int(Int32(images * c)),
                    .local(bytes: plan.paddedPlaneFloats * 4), .buffer(weight), .buffer(u),
                    .int(Int32(o)), .int(flipped ? 1 : 0), .int(Int32(filterRows)),
                ])
            let productGeometry = [o, g.outHeight, g.outWidth, c, 0, plan.tilesY, plan.tilesX, first]
            try launch(
                family: "conv", kernel: "winograd_product", global: [((o + 3) / 4 + 7) / 8 * 8, (tiles + 15) / 16],
                local: [8, 1],
                arguments: [
                    .buffer(u), .buffer(v), .buffer(y), .int8(productGeometry.map { Int32($0) }), .int(Int32(tiles)),
                ] + extra)
        }
    }
}

/// The tiling of one Winograd convolution on OpenCL.
struct OpenCLWinogradPlan {
    /// `LATENT_OPENCL_WINOGRAD=0` turns the path off (im2col + GEMM, to compare in one binary).
    static let enabled: Bool = {
        guard let value = getenv("LATENT_OPENCL_WINOGRAD") else { return true }
        return String(cString: value) != "0"
    }()

    /// The CPU backend's conditions (`CPUWinograd.qualifies`) except the output channel minimum:
    /// with few output channels (the U-Net's 64 → 1 output layer) the products are thin, but the
    /// input transform still replaces an im2col nine times the input's size.
    static func qualifies(_ g: ConvGeometry, outChannels: Int) -> Bool {
        enabled && outChannels > 0 && CPUWinograd.qualifies(g, outChannels: max(outChannels, CPUWinograd.minimumChannels))
    }

    let tilesY: Int, tilesX: Int
    /// Images per chunk: their transformed inputs (16·in·tiles floats) fit the budget.
    let imagesPerChunk: Int

    var tilesPerImage: Int { tilesY * tilesX }

    /// Floats of V for a chunk of `images`: 16 transformed values per tile and input channel, in
    /// whole blocks of 16 tiles (Kernels/conv.cl, winograd_packed_offset).
    func transformedSize(images: Int, channels: Int) -> Int {
        16 * channels * ((images * tilesPerImage + 15) / 16 * 16)
    }
    /// The input kernel's zero-bordered plane: 2·tilesY + 2 rows of 2·(tilesX rounded up to 8) + 2 floats.
    var paddedPlaneFloats: Int { (2 * tilesY + 2) * (2 * ((tilesX + 7) / 8 * 8) + 2) }

    init(_ g: ConvGeometry, outChannels: Int, budget: Int) {
        tilesY = (g.outHeight + 1) / 2
        tilesX = (g.outWidth + 1) / 2
        let perImage = 16 * g.channels * tilesY * tilesX * 4
        imagesPerChunk = max(1, min(g.batch, budget / max(1, perImage)))
    }
}
