/// The Gaussian-mixture kernels composed from broadcasting elementwise ops and reductions. Both
/// write the count × components × dimension differences the fused kernels avoid.
extension FusedKernels where Self: Device {
    public func gaussianLogDensity(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        guard count > 0, components > 0 else { return }
        let (n, k, d) = (count, components, dimension)
        let terms = try weightedSquaredDifferences(x, means, precisions, [1, k, d], count: n, components: k, dimension: d)
        let sums = try scratch(n * k)
        try reduce(.sum, terms, sums, outer: n * k, length: d, inner: 1)
        try affine(sums, sums, count: n * k, scale: -0.5, shift: 0)
        try broadcast(.add, sums, [n, k], offsets, [k], out)
    }

    public func gaussianResponsibilities(
        _ x: any DeviceBuffer, means: any DeviceBuffer, precisions: any DeviceBuffer, offsets: any DeviceBuffer,
        _ out: any DeviceBuffer, logLikelihood: any DeviceBuffer, count: Int, components: Int, dimension: Int
    ) throws {
        guard count > 0, components > 0 else { return }
        let (n, k, d) = (count, components, dimension)
        let terms = try weightedSquaredDifferences(x, means, precisions, [1, k, d], count: n, components: k, dimension: d)
        let densities = try scratch(n * k)
        try reduce(.sum, terms, densities, outer: n * k, length: d, inner: 1)
        try affine(densities, densities, count: n * k, scale: -0.5, shift: 0)
        try broadcast(.add, densities, [n, k], offsets, [k], densities)
        try reduce(.logsumexp, densities, logLikelihood, outer: n, length: k, inner: 1)
        try softmax(densities, out, rows: n, columns: k, log: false)
    }

    public func gaussianScatter(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, means: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        guard components > 0, dimension > 0 else { return }
        let (n, k, d) = (count, components, dimension)
        guard n > 0 else {
            try fill(out, count: k * d, value: 0)
            return
        }
        let terms = try weightedSquaredDifferences(x, means, weights, [n, k, 1], count: n, components: k, dimension: d)
        try reduce(.sum, terms, out, outer: 1, length: n, inner: k * d)
    }

    public func gaussianMoments(
        _ x: any DeviceBuffer, weights: any DeviceBuffer, _ out: any DeviceBuffer,
        count: Int, components: Int, dimension: Int
    ) throws {
        guard components > 0 else { return }
        let (n, k, d) = (count, components, dimension)
        guard n > 0 else { return try fill(out, count: k * (d + 1), value: 0) }
        // rᵀx [k × d] and Σ_n r [k], each copied into its window of the k × (d + 1) rows.
        let totals = try scratch(k)
        try reduce(.sum, weights, totals, outer: 1, length: n, inner: k)
        try copyStrided(totals, out, layout: StridedCopyLayout(shape: [k], xStrides: [1], outStrides: [d + 1], outOffset: d))
        guard d > 0 else { return }
        let products = try scratch(k * d)
        try gemm(
            weights, x, products,
            shape: GemmShape(batch: 1, m: k, n: d, k: n, transposeA: true, transposeB: false, alpha: 1, beta: 0))
        try copyStrided(products, out, layout: StridedCopyLayout(shape: [k, d], xStrides: [d, 1], outStrides: [d + 1, 1]))
    }

    /// (x[n, ·, d] − means[·, k, d])² · factor, broadcast to n × k × d.
    private func weightedSquaredDifferences(
        _ x: any DeviceBuffer, _ means: any DeviceBuffer, _ factor: any DeviceBuffer, _ factorShape: [Int],
        count n: Int, components k: Int, dimension d: Int
    ) throws -> any DeviceBuffer {
        let differences = try scratch(n * k * d)
        try broadcast(.sub, x, [n, 1, d], means, [1, k, d], differences)
        try unary(.square, differences, differences, count: n * k * d)
        try broadcast(.mul, differences, [n, k, d], factor, factorShape, differences)
        return differences
    }
}
