/// Nearest-code search composed from GEMM and reductions: ‖x − c‖² = ‖x‖² − 2·x·c + ‖c‖², then the
/// first minimum along the codes. It writes the count×codes distance matrix the fused kernel avoids,
/// and the expansion rounds differently from the direct sum near ties.
extension FusedKernels where Self: Device {
    public func nearestCode(
        _ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
        distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int
    ) throws {
        try composedNearestCode(
            x, codebook: codebook, indices: indices, distances: distances, count: count, codes: codes,
            dimension: dimension)
    }

    func composedNearestCode(
        _ x: any DeviceBuffer, codebook: any DeviceBuffer, indices: any DeviceBuffer,
        distances: any DeviceBuffer, count: Int, codes: Int, dimension: Int
    ) throws {
        guard count > 0 else { return }
        let distance = try scratch(count * codes)
        try gemm(x, codebook, distance, shape: GemmShape(m: count, n: codes, k: dimension, transposeB: true, alpha: -2))
        let xNorms = try squaredRowNorms(x, rows: count, dimension: dimension)
        let codeNorms = try squaredRowNorms(codebook, rows: codes, dimension: dimension)
        try broadcast(.add, distance, [count, codes], xNorms, [count, 1], distance)
        try broadcast(.add, distance, [count, codes], codeNorms, [1, codes], distance)
        try reduce(.argmin, distance, indices, outer: count, length: codes, inner: 1)
        try reduce(.min, distance, distances, outer: count, length: codes, inner: 1)
    }

    private func squaredRowNorms(_ rows: any DeviceBuffer, rows count: Int, dimension: Int) throws -> any DeviceBuffer {
        let squares = try scratch(count * dimension), norms = try scratch(count)
        try unary(.square, rows, squares, count: count * dimension)
        try reduce(.sum, squares, norms, outer: count, length: dimension, inner: 1)
        return norms
    }
}
