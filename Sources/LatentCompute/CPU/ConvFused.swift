import Dispatch

/// Convolution on the CPU backend, fused per group of images: each worker builds the column
/// matrix of a few images in a cache-sized scratch buffer and multiplies it right away with a
/// single-threaded SGEMM, so the batch's column matrix (115 MB for 64x64x28x28, 3x3) is never
/// written to memory. Workers own fixed, contiguous ranges of images, so results do not depend on
/// scheduling. Batches too small to give every thread work use the composite path, whose GEMMs
/// split across threads instead.
extension CPUDevice {
    public func conv2d(
        _ input: any DeviceBuffer, weight: any DeviceBuffer, _ output: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        if try winogradConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels) { return }
        guard let plan = ConvImagePlan(g, outChannels: outChannels, threads: threads) else {
            return try composedConv2d(input, weight: weight, output, geometry: g, outChannels: outChannels)
        }
        let x = try floats(input, g.batch * g.channels * g.height * g.width, "conv2d input")
        let w = try floats(weight, outChannels * g.columnRows, "conv2d weight")
        let y = try floats(output, g.batch * outChannels * plan.pixels, "conv2d output")
        plan.forEachTask { images, scratch, _ in
            let columns = plan.columns(of: UnsafePointer(x), images: images, scratch: scratch)
            let direct = images.count == 1
            let product = direct ? y + images.lowerBound * outChannels * plan.pixels : scratch.staging
            SGEMMKernel.run(
                plan.problem(
                    m: outChannels, n: plan.width(images), k: g.columnRows,
                    a: UnsafePointer(w), lda: g.columnRows, b: columns, ldb: plan.width(images),
                    c: product, ldc: plan.width(images)), scratch: scratch.gemm)
            if !direct { plan.scatter(UnsafePointer(scratch.staging), images: images, into: y) }
        }
    }

    public func conv2dBackwardInput(
        _ gradOutput: any DeviceBuffer, weight: any DeviceBuffer, _ gradInput: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        if try winogradConv2dBackwardInput(gradOutput, weight: weight, gradInput, geometry: g, outChannels: outChannels) {
            return
        }
        guard let plan = ConvImagePlan(g, outChannels: outChannels, threads: threads) else {
            return try composedConv2dBackwardInput(gradOutput, weight: weight, gradInput, geometry: g, outChannels: outChannels)
        }
        let gy = try floats(gradOutput, g.batch * outChannels * plan.pixels, "conv2d output gradient")
        let w = try floats(weight, outChannels * g.columnRows, "conv2d weight")
        let gx = try floats(gradInput, g.batch * g.channels * g.height * g.width, "conv2d input gradient")
        plan.forEachTask { images, scratch, _ in
            let width = plan.width(images)
            let gathered = plan.gather(UnsafePointer(gy), images: images, scratch: scratch)
            SGEMMKernel.run(
                plan.problem(
                    m: g.columnRows, n: width, k: outChannels, transposeA: true,
                    a: UnsafePointer(w), lda: g.columnRows, b: gathered, ldb: width,
                    c: scratch.columns, ldc: width), scratch: scratch.gemm)
            let taps = g.kernelHeight * g.kernelWidth, plane = g.height * g.width
            for (j, image) in images.enumerated() {
                for c in 0..<g.channels {
                    let rows = UnsafePointer(scratch.columns + c * taps * width + j * plan.pixels)
                    let target = gx + (image * g.channels + c) * plane
                    if let padded = scratch.padded {
                        padded.gatherRows(rows, rowStride: width, into: target)
                    } else {
                        g.gatherColumnRows(rows, rowStride: width, into: target)
                    }
                }
            }
        }
    }

    public func conv2dBackwardWeight(
        _ input: any DeviceBuffer, _ gradOutput: any DeviceBuffer, _ gradWeight: any DeviceBuffer,
        geometry g: ConvGeometry, outChannels: Int
    ) throws {
        if try winogradConv2dBackwardWeight(input, gradOutput, gradWeight, geometry: g, outChannels: outChannels) { return }
        guard let plan = ConvImagePlan(g, outChannels: outChannels, threads: threads) else {
            return try composedConv2dBackwardWeight(input, gradOutput, gradWeight, geometry: g, outChannels: outChannels)
        }
        let x = try floats(input, g.batch * g.channels * g.height * g.width, "conv2d input")
        let gy = try floats(gradOutput, g.batch * outChannels * plan.pixels, "conv2d output gradient")
        let gw = try floats(gradWeight, outChannels * g.columnRows, "conv2d weight gradient")
        let size = outChannels * g.columnRows
        // One partial sum per worker, added in worker order at the end.
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: plan.workers * size)
        defer { partials.deallocate() }
        plan.forEachTask { images, scratch, worker in
            let width = plan.width(images)
            let columns = plan.columns(of: UnsafePointer(x), images: images, scratch: scratch)
            let gathered = plan.gather(UnsafePointer(gy), images: images, scratch: scratch)
            var problem = plan.problem(
                m: outChannels, n: g.columnRows, k: width, transposeB: true,
                a: gathered, lda: width, b: columns, ldb: width,
                c: partials + worker.index * size, ldc: g.columnRows)
            problem.beta = worker.firstTask ? 0 : 1
            SGEMMKernel.run(problem, scratch: scratch.gemm)
        }
        gw.update(from: partials, count: size)
        for worker in 1..<plan.workers {
            let part = partials + worker * size
            for i in 0..<size { gw[i] += part[i] }
        }
    }

    private func floats(_ buffer: any DeviceBuffer, _ count: Int, _ what: String) throws -> UnsafeMutablePointer<Float> {
        let b = try cpu(buffer)
        guard count * 4 <= b.byteCount else {
            throw ComputeError.invalidArgument("\(what): \(count) floats needed, the buffer holds \(b.byteCount / 4)")
        }
        return b.floats
    }
}

/// How a convolution's batch is cut into tasks of a few consecutive images and dealt to workers.
struct ConvImagePlan: @unchecked Sendable {
    let geometry: ConvGeometry
    let outChannels: Int
    let pixels: Int
    let imagesPerTask: Int
    let tasks: Int
    let workers: Int

    /// Columns of the per-task product we aim for: wide enough to fill the 16-wide micro-panels
    /// with little padding, narrow enough that the task's column matrix stays in L2.
    static let targetWidth = 384

    /// nil when the batch cannot give every thread a task (or the problem is empty).
    init?(_ g: ConvGeometry, outChannels: Int, threads: Int) {
        let pixels = g.outHeight * g.outWidth
        guard g.batch > 0, pixels > 0, outChannels > 0, g.columnRows > 0 else { return nil }
        let perThread = (g.batch + threads - 1) / threads
        let images = max(1, min(Self.targetWidth / pixels, perThread))
        let tasks = (g.batch + images - 1) / images
        guard threads == 1 || tasks >= threads else { return nil }
        self.geometry = g
        self.outChannels = outChannels
        self.pixels = pixels
        self.imagesPerTask = images
        self.tasks = tasks
        self.workers = min(threads, tasks)
    }

    func width(_ images: Range<Int>) -> Int { images.count * pixels }

    struct Worker {
        let index: Int
        let firstTask: Bool
    }

    /// Per-worker buffers: a task's column matrix, its gathered/staged product, and SGEMM packing,
    /// from the CPU memory pool (through SGEMMKernel.Scratch) so their pages stay mapped between calls.
    final class Scratch {
        private let buffers: SGEMMKernel.Scratch
        let gemm: SGEMMKernel.Scratch
        /// For strided or dilated windows (see ConvPaddedPlane.suits).
        let padded: ConvPaddedPlane?
        var columns: UnsafeMutablePointer<Float> { buffers.packedA }
        var staging: UnsafeMutablePointer<Float> { buffers.packedB }

        init(_ plan: ConvImagePlan) {
            let g = plan.geometry, width = plan.imagesPerTask * plan.pixels
            buffers = SGEMMKernel.Scratch(aCount: g.columnRows * width, bCount: plan.outChannels * width)
            let sizes = [
                SGEMMKernel.Scratch.sizes(m: plan.outChannels, n: width, k: g.columnRows),
                SGEMMKernel.Scratch.sizes(m: g.columnRows, n: width, k: plan.outChannels),
                SGEMMKernel.Scratch.sizes(m: plan.outChannels, n: g.columnRows, k: width),
            ]
            gemm = SGEMMKernel.Scratch(aCount: sizes.map(\.a).max()!, bCount: sizes.map(\.b).max()!)
            padded = ConvPaddedPlane.suits(g) ? ConvPaddedPlane(g) : nil
        }
    }

    /// Runs body(images, scratch, worker) for every task; worker w takes tasks w·T/W ..< (w+1)·T/W in order.
    func forEachTask(_ body: (Range<Int>, Scratch, Worker) -> Void) {
        // Workers write disjoint images (or their own partial sums), so sharing the body is safe.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let shared = body
            nonisolated(unsafe) let run = { (w: Int) in
                let scratch = Scratch(self)
                let first = self.tasks * w / self.workers, last = self.tasks * (w + 1) / self.workers
                for task in first..<last {
                    let start = task * self.imagesPerTask
                    shared(
                        start..<min(self.geometry.batch, start + self.imagesPerTask), scratch,
                        Worker(index: w, firstTask: task == first))
                }
            }
            if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { run($0) } }
        }
    }

    /// The column matrix [columnRows, images·pixels] of consecutive images, image j in columns
    /// j·pixels ..< (j+1)·pixels. A single image of a pointwise convolution is its own column matrix.
    func columns(of x: UnsafePointer<Float>, images: Range<Int>, scratch: Scratch) -> UnsafePointer<Float> {
        let g = geometry, plane = g.height * g.width, width = self.width(images)
        if images.count == 1, g.kernelHeight == 1, g.kernelWidth == 1, g.strideY == 1, g.strideX == 1,
            g.padY == 0, g.padX == 0
        {
            return x + images.lowerBound * g.channels * plane
        }
        if let padded = scratch.padded {
            let taps = padded.tapOffsets.count
            for (j, image) in images.enumerated() {
                for c in 0..<g.channels {
                    padded.load(x + (image * g.channels + c) * plane)
                    for t in 0..<taps { padded.fillRow(tap: t, into: scratch.columns + (c * taps + t) * width + j * pixels) }
                }
            }
            return UnsafePointer(scratch.columns)
        }
        for (j, image) in images.enumerated() {
            for c in 0..<g.channels {
                for i in 0..<g.kernelHeight {
                    for k in 0..<g.kernelWidth {
                        let row = (c * g.kernelHeight + i) * g.kernelWidth + k
                        g.fillColumnRow(
                            plane: x + (image * g.channels + c) * plane, tapY: i, tapX: k,
                            into: scratch.columns + row * width + j * pixels)
                    }
                }
            }
        }
        return UnsafePointer(scratch.columns)
    }

    /// [batch, outChannels, pixels] images as one [outChannels, images·pixels] matrix (no copy for one image).
    func gather(_ y: UnsafePointer<Float>, images: Range<Int>, scratch: Scratch) -> UnsafePointer<Float> {
        if images.count == 1 { return y + images.lowerBound * outChannels * pixels }
        let width = self.width(images)
        for (j, image) in images.enumerated() {
            for o in 0..<outChannels {
                (scratch.staging + o * width + j * pixels).update(from: y + (image * outChannels + o) * pixels, count: pixels)
            }
        }
        return UnsafePointer(scratch.staging)
    }

    /// The inverse of `gather`: [outChannels, images·pixels] back into [batch, outChannels, pixels].
    func scatter(_ product: UnsafePointer<Float>, images: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        let width = self.width(images)
        for (j, image) in images.enumerated() {
            for o in 0..<outChannels {
                (y + (image * outChannels + o) * pixels).update(from: product + o * width + j * pixels, count: pixels)
            }
        }
    }

    func problem(
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> SGEMMKernel.Problem {
        SGEMMKernel.Problem(
            m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: 1, beta: 0,
            a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc)
    }
}
