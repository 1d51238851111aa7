/// A (collapsed) shape prepared for the strided kernels' 3-D range: id 0 runs over the last axis,
/// id 1 over the axis before it, id 2 over all earlier axes flattened. Rank 0 becomes one element.
struct StridedRange {
    let rank: Int32
    let shape: [Int32]
    let global: [Int]
    let count: Int

    init(shape: [Int]) throws {
        guard shape.count <= maxKernelRank else {
            throw ComputeError.invalidArgument("strided kernels take at most \(maxKernelRank) axes, got \(shape.count)")
        }
        let axes = shape.isEmpty ? [1] : shape
        count = axes.reduce(1, *)
        guard count <= Int(Int32.max) else {
            throw ComputeError.invalidArgument("\(count) elements exceed the OpenCL kernels' 32-bit indexing")
        }
        rank = Int32(axes.count)
        self.shape = axes.map { Int32($0) }
        let last = axes[axes.count - 1]
        let second = axes.count >= 2 ? axes[axes.count - 2] : 1
        let rest = axes.dropLast(2).reduce(1, *)
        global = [last, second, rest]
    }

    /// Element strides as kernel lanes (rank 0 reads element 0).
    func strides(_ strides: [Int]) -> [Int32] {
        strides.isEmpty ? [0] : strides.map { Int32($0) }
    }
}
