import Foundation

/// The responsibilities of the first EM step (scikit-learn's `_initialize_parameters`), one fresh
/// random stream per initialisation `attempt` (so `n_init` runs differ and each is reproducible).
struct GaussianMixtureInitializer {
    let data: GaussianMixtureData
    let components: Int
    let seed: UInt64
    let attempt: Int

    /// Responsibilities (N × K) for `method`.
    func responsibilities(_ method: GaussianMixtureInitialization) throws -> Tensor {
        let device = data.centered.device
        let (n, k) = (data.samples, components)
        switch method {
        case .random:
            let u = try Tensor.randomUniform([n, k], seed: seed, offset: UInt64(attempt * n * k), on: device)
            return try u / u.sum(axis: 1, keepDims: true)
        case .randomFromData:
            let picks = ShuffleRandom.permutation(n, seed: seed, epoch: attempt).prefix(k)
            var r = [Float](repeating: 0, count: n * k)
            for (column, row) in picks.enumerated() { r[row * k + column] = 1 }
            return try Tensor(r, shape: [n, k], on: device)
        case .kmeansPlusPlus:
            var r = [Float](repeating: 0, count: n * k)
            for (column, row) in try kmeansPlusPlusSeeds().enumerated() { r[row * k + column] = 1 }
            return try Tensor(r, shape: [n, k], on: device)
        case .kmeans:
            let seeds = try kmeansPlusPlusSeeds()
            let x = try data.centered.toArray()
            let d = data.features
            let start = seeds.flatMap { x[($0 * d)..<(($0 + 1) * d)] }
            return try lloyd(centers: Tensor(start, shape: [k, d], on: device)).oneHot(classes: k)
        }
    }

    /// Hard responsibilities at the nearest of the given means (the `means_init` start).
    func responsibilities(nearest means: [Double]) throws -> Tensor {
        let centers = data.centeredMeans(
            try GaussianMixtureParameters(
                covarianceType: .spherical, weights: [Double](repeating: 1 / Double(components), count: components),
                means: means, covariances: [Double](repeating: 1, count: components)))
        let table = try Tensor(centers.map(Float.init), shape: [components, data.features], on: data.centered.device)
        return try nearest(in: table).oneHot(classes: components)
    }

    /// The index (Int32, N) of each sample's nearest centre: the device's nearest-code kernel for
    /// latent-sized vectors; for wide ones (D > 64, e.g. 784 pixels) ‖c‖² − 2x·cᵀ by GEMM and a row
    /// argmin, since the OpenCL rows variant of nearest_code keeps a D-float private array per
    /// work-item and crashes PoCL at D = 784 with 10 000 rows (reported, kernel left as it is).
    func nearest(in centers: Tensor) throws -> Tensor {
        guard data.features > 64 else { return try data.centered.nearestCode(in: centers).indices }
        let norms = try centers.square().sum(axis: 1)
        return try (data.centered.matmul(centers, transposeOther: true).affine(scale: -2) + norms).reduce(.argmin, axis: 1)
    }

    /// Lloyd's k-means: assignments with the device's nearest-code kernel, centroid sums by GEMM;
    /// stops when no label changes (at most 300 rounds, scikit-learn's default). Returns the labels.
    func lloyd(centers start: Tensor) throws -> Tensor {
        var centers = start
        var labels = try nearest(in: centers)
        var previous = try labels.toIndices()
        for _ in 0..<300 {
            let oneHot = try labels.oneHot(classes: components)
            let counts = try oneHot.sum(axis: 0, keepDims: true).transposed()
            let sums = try oneHot.matmul(data.centered, transposeSelf: true)
            // An empty cluster keeps its centre (its count is clamped to 1 and its sum is 0 → moved back).
            let occupied = try counts.apply(.greater, Tensor.zeros([], on: counts.device))
            centers = try Tensor.select(occupied, sums / counts.clamped(1, .greatestFiniteMagnitude), centers)
            labels = try nearest(in: centers)
            let current = try labels.toIndices()
            if current == previous { break }
            previous = current
        }
        return labels
    }

    /// Greedy k-means++ seeding (scikit-learn's `_kmeans_plusplus`: 2 + ⌊ln K⌋ candidates per centre,
    /// the one that lowers the potential most is kept), on the host in Float64. Returns sample indices.
    func kmeansPlusPlusSeeds() throws -> [Int] {
        let (n, d, k) = (data.samples, data.features, components)
        let x = try data.centered.toArray()
        var random = ShuffleRandom(seed: seed, epoch: attempt)
        func distances(to index: Int) -> [Double] {
            (0..<n).map { i in
                var s = 0.0
                for j in 0..<d {
                    let t = Double(x[i * d + j] - x[index * d + j])
                    s += t * t
                }
                return s
            }
        }
        let trials = 2 + Int(Foundation.log(Double(k)))
        var seeds = [random.below(n)]
        var closest = distances(to: seeds[0])
        while seeds.count < k {
            let potential = closest.reduce(0, +)
            var cumulative = closest
            for i in 1..<n { cumulative[i] += cumulative[i - 1] }
            var best: (index: Int, potential: Double, distances: [Double])? = nil
            for _ in 0..<trials {
                let target = Double(random.next() >> 11) / Double(1 << 53) * potential
                let candidate = Swift.min(n - 1, cumulative.partitioningIndex { $0 > target })
                let candidateDistances = zip(closest, distances(to: candidate)).map { Swift.min($0, $1) }
                let total = candidateDistances.reduce(0, +)
                if best == nil || total < best!.potential { best = (candidate, total, candidateDistances) }
            }
            seeds.append(best!.index)
            closest = best!.distances
        }
        return seeds
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `predicate` (elements must be sorted for it), or count.
    fileprivate func partitioningIndex(where predicate: (Double) -> Bool) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
