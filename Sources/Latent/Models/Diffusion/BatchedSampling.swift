import LatentCompute

extension ImageDiffusionModel {
    /// Class labels 0, 1, …, K−1, 0, 1, … for `count` images of a class-conditional model (K classes),
    /// so every class gets the same share; nil for an unconditional model.
    public func cyclingLabels(count: Int) -> [Int32]? {
        numClasses.map { k in (0..<count).map { Int32($0 % k) } }
    }

    /// Draws `count` images `batchSize` at a time and hands each batch ([n, C, H, W] in [−1, 1]) to
    /// `body` with its slice of `labels`. The images equal those of one `sample` call of all `count`:
    /// the sampler's noise is indexed by image, and each batch starts at its first image's index.
    public func sample(
        count: Int, labels: [Int32]?, options: SamplerOptions, batchSize: Int,
        body: (_ images: Tensor, _ labels: [Int32]?) throws -> Void
    ) throws {
        guard count >= 1, batchSize >= 1 else {
            throw DiffusionError.invalidArgument("sampling needs count and batch size of at least 1, not \(count) and \(batchSize)")
        }
        if let labels, labels.count != count { throw DiffusionError.invalidArgument("\(labels.count) labels for \(count) images") }
        for start in stride(from: 0, to: count, by: batchSize) {
            let range = start..<min(start + batchSize, count)
            var batchOptions = options
            batchOptions.firstImageIndex = options.firstImageIndex + start
            let batchLabels = labels.map { Array($0[range]) }
            try body(try sample(count: range.count, labels: batchLabels, options: batchOptions, progress: nil), batchLabels)
        }
    }
}
