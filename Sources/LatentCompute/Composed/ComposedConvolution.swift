/// Convolution composed from the kernel set: im2col (or col2im) plus one batched GEMM per chunk of
/// images. This is every backend's default; the CPU backend overrides it with a per-image fused
/// loop that keeps the column matrix in cache (CPU/ConvFused.swift) and falls back here when the
/// batch is too small to split across threads.
///
/// Chunks keep each column matrix under the device's scratch budget (`scratchBudgetBytes`: 16 MiB on
/// the CPU, an eighth of the memory on OpenCL; `ScratchBudget.$forcedBytes` overrides it in a
/// scope): the whole batch's would be 347 MB for 64 images of a 3×3 convolution over 192 channels at
/// 28×28. A chunk reads its images and writes its results in place through buffer views (OpenCL
/// sub-buffers), its size rounded to a multiple of images whose offsets meet the view alignment;
/// where a device has no views or the alignment would need more images than the budget allows, the
/// chunk's images are copied through staging buffers instead. A batch that fits runs as one im2col
/// and one product.
extension FusedKernels where Self: Device {
    public func conv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        try composedConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels)
    }

    public func conv2dEpilogue(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue
    ) throws {
        try composedConv2dEpilogue(input, weight: weight, output, geometry: g, outChannels: outChannels, epilogue: epilogue)
    }

    /// One chunk: im2col and the product with the epilogue in it; several: the convolution, then
    /// the epilogue's adds over the whole output.
    func composedConv2dEpilogue(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int, epilogue: GemmEpilogue
    ) throws {
        let rows = g.columnRows, pixels = g.outHeight * g.outWidth
        guard g.batch > 0, outChannels > 0, pixels > 0 else { return }
        let shape = GemmShape(
            batch: g.batch, m: outChannels, n: pixels, k: rows, strideA: 0, strideB: rows * pixels,
            strideC: outChannels * pixels)
        try epilogue.validate(for: shape)
        guard g.compositeChunks(budget: effectiveScratchBudgetBytes).count == 1, rows > 0 else {
            try conv2d(input, weight: weight, output, geometry: g, outChannels: outChannels)
            return try applyEpilogue(epilogue, to: output, shape: shape)
        }
        let cols = try makeBuffer(byteCount: g.batch * rows * pixels * 4)
        try im2col(input, cols, geometry: g)
        try gemmEpilogue(weight, cols, output, shape: shape, epilogue: epilogue)
    }

    public func conv2dBackwardInput(
        _ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        try composedConv2dBackwardInput(gradOutput, weight: weight, gradInput, geometry: g, outChannels: outChannels)
    }

    public func conv2dBackwardWeight(
        _ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        try composedConv2dBackwardWeight(input, gradOutput, gradWeight, geometry: g, outChannels: outChannels)
    }

    func composedConv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        let rows = g.columnRows, pixels = g.outHeight * g.outWidth
        guard g.batch > 0, outChannels > 0, pixels > 0 else { return }
        let plan = chunkPlan(g, imageSizes: [g.imageSize, outChannels * pixels])
        let cols = try makeBuffer(byteCount: plan.chunks[0].count * rows * pixels * 4)
        try forEachChunk(plan, reading: input, imageSize: g.imageSize, writing: output, imageSize: outChannels * pixels) {
            images, x, y in
            let c = g.with(batch: images)
            try im2col(x, cols, geometry: c)
            try gemm(
                weight, cols, y,
                shape: GemmShape(
                    batch: images, m: outChannels, n: pixels, k: rows,
                    strideA: 0, strideB: rows * pixels, strideC: outChannels * pixels))
        }
    }

    func composedConv2dBackwardInput(
        _ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        let rows = g.columnRows, pixels = g.outHeight * g.outWidth
        guard g.batch > 0, g.imageSize > 0 else { return }
        let plan = chunkPlan(g, imageSizes: [outChannels * pixels, g.imageSize])
        let cols = try makeBuffer(byteCount: max(1, plan.chunks[0].count * rows * pixels) * 4)
        try forEachChunk(plan, reading: gradOutput, imageSize: outChannels * pixels, writing: gradInput, imageSize: g.imageSize) {
            images, gy, gx in
            try gemm(
                weight, gy, cols,
                shape: GemmShape(
                    batch: images, m: rows, n: pixels, k: outChannels,
                    transposeA: true, strideA: 0, strideB: outChannels * pixels,
                    strideC: rows * pixels))
            try col2im(cols, gx, geometry: g.with(batch: images))
        }
    }

    func composedConv2dBackwardWeight(
        _ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        let rows = g.columnRows, pixels = g.outHeight * g.outWidth, size = outChannels * rows
        guard size > 0 else { return }
        guard g.batch > 0, pixels > 0 else {
            try fill(gradWeight, count: size, value: 0)
            return
        }
        let plan = chunkPlan(g, imageSizes: [g.imageSize, outChannels * pixels])
        let chunks = plan.chunks
        let images = chunks[0].count
        let cols = try makeBuffer(byteCount: images * rows * pixels * 4)
        let perImage = try makeBuffer(byteCount: images * size * 4)
        let staging = chunks.count > 1 && !plan.inPlace
        let gyStage = staging ? try makeBuffer(byteCount: images * outChannels * pixels * 4) : gradOutput
        let xStage = staging ? try makeBuffer(byteCount: images * g.imageSize * 4) : input
        let chunkSum = chunks.count > 1 ? try makeBuffer(byteCount: size * 4) : gradWeight
        // One product per image, a fixed-order sum over each chunk, then chunk sums added in order.
        for (index, range) in chunks.enumerated() {
            var xChunk = xStage, gyChunk = gyStage
            if chunks.count > 1 {
                if plan.inPlace {
                    xChunk = try imageView(range, of: input, imageSize: g.imageSize)
                    gyChunk = try imageView(range, of: gradOutput, imageSize: outChannels * pixels)
                } else {
                    try copyImages(range, of: input, imageSize: g.imageSize, into: xStage)
                    try copyImages(range, of: gradOutput, imageSize: outChannels * pixels, into: gyStage)
                }
            }
            try im2col(xChunk, cols, geometry: g.with(batch: range.count))
            try gemm(
                gyChunk, cols, perImage,
                shape: GemmShape(
                    batch: range.count, m: outChannels, n: rows, k: pixels,
                    transposeB: true, strideA: outChannels * pixels,
                    strideB: rows * pixels, strideC: size))
            try reduce(.sum, perImage, index == 0 ? gradWeight : chunkSum, outer: 1, length: range.count, inner: size)
            if index > 0 { try axpby(alpha: 1, gradWeight, beta: 1, chunkSum, gradWeight, count: size) }
        }
    }

    /// The scratch budget in force: `ScratchBudget.forcedBytes` in a scope that sets it, else the device's.
    var effectiveScratchBudgetBytes: Int { ScratchBudget.forcedBytes ?? scratchBudgetBytes }

    /// The chunks of `g`'s batch under the scratch budget, in place when the device has views and every
    /// chunk's first image starts on a view-aligned offset in each buffer (of per-image float counts
    /// `imageSizes`) for a chunk size the budget allows.
    func chunkPlan(_ g: ConvGeometry, imageSizes: [Int]) -> ConvChunkPlan {
        let budget = effectiveScratchBudgetBytes
        let chunks = g.compositeChunks(budget: budget)
        guard chunks.count > 1, let alignment = viewAlignmentBytes, alignment > 0 else {
            return ConvChunkPlan(chunks: chunks, inPlace: false)
        }
        // A chunk of k images starts at a multiple of k · size · 4 bytes: aligned for every start when
        // k is a multiple of alignment / gcd(size · 4, alignment), for each buffer.
        let granule = imageSizes.reduce(1) { lcm($0, alignment / gcd(max(1, $1 * 4), alignment)) }
        let images = chunks[0].count / granule * granule
        guard images > 0 else { return ConvChunkPlan(chunks: chunks, inPlace: false) }
        let aligned = stride(from: 0, to: g.batch, by: images).map { $0..<Swift.min(g.batch, $0 + images) }
        return ConvChunkPlan(chunks: aligned, inPlace: true)
    }

    /// Runs body(images, in, out) per chunk: with one chunk on the buffers themselves; in place on views
    /// of the chunk's images; otherwise on staging buffers that the chunk's images are copied into
    /// (from `source`) and out of (into `target`).
    private func forEachChunk(
        _ plan: ConvChunkPlan, reading source: any DeviceBuffer, imageSize inSize: Int,
        writing target: any DeviceBuffer, imageSize outSize: Int,
        _ body: (Int, any DeviceBuffer, any DeviceBuffer) throws -> Void
    ) throws {
        let chunks = plan.chunks
        guard chunks.count > 1 else { return try body(chunks[0].count, source, target) }
        if plan.inPlace {
            for range in chunks {
                try body(
                    range.count, imageView(range, of: source, imageSize: inSize), imageView(range, of: target, imageSize: outSize))
            }
            return
        }
        let images = chunks[0].count
        let staged = try makeBuffer(byteCount: max(1, images * inSize) * 4)
        let result = try makeBuffer(byteCount: max(1, images * outSize) * 4)
        for range in chunks {
            try copyImages(range, of: source, imageSize: inSize, into: staged)
            try body(range.count, staged, result)
            try copyStrided(
                result, target,
                layout: StridedCopyLayout(
                    shape: [range.count * outSize], xStrides: [1],
                    outStrides: [1], outOffset: range.lowerBound * outSize))
        }
    }

    /// The view of images `range` of `buffer` (the plan checked the alignment, so a nil is a bug).
    private func imageView(_ range: Range<Int>, of buffer: any DeviceBuffer, imageSize: Int) throws -> any DeviceBuffer {
        let offset = range.lowerBound * imageSize * 4, bytes = max(1, range.count * imageSize) * 4
        guard let slice = try view(of: buffer, byteOffset: offset, byteCount: bytes) else {
            throw ComputeError.invalidArgument("no view of \(bytes) bytes at \(offset) on \(name)")
        }
        return slice
    }

    private func copyImages(_ range: Range<Int>, of source: any DeviceBuffer, imageSize: Int, into staging: any DeviceBuffer) throws {
        guard range.count * imageSize > 0 else { return }
        try copyStrided(
            source, staging,
            layout: StridedCopyLayout(
                shape: [range.count * imageSize], xStrides: [1],
                xOffset: range.lowerBound * imageSize, outStrides: [1]))
    }
}

/// How a composed convolution walks its batch (`chunkPlan`): image ranges, and whether they are read
/// and written in place through views (else through staging copies when there are several).
struct ConvChunkPlan {
    let chunks: [Range<Int>]
    let inPlace: Bool
}

/// Greatest common divisor and least common multiple of positive integers.
private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
private func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }

extension ConvGeometry {
    /// Floats of one input image.
    var imageSize: Int { channels * height * width }

    /// Consecutive image ranges whose column matrices fit `budget` bytes (at least one image per
    /// range); one range when the batch does.
    func compositeChunks(budget: Int) -> [Range<Int>] {
        let perImage = max(1, columnRows * outHeight * outWidth * 4)
        let images = max(1, min(batch, budget / perImage))
        return stride(from: 0, to: batch, by: images).map { $0..<Swift.min(batch, $0 + images) }
    }

    func with(batch images: Int) -> ConvGeometry {
        var g = self
        g.batch = images
        return g
    }
}
