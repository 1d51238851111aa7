/// A (collapsed) shape prepared for the strided kernels. Shapes and strides go to the kernels as
/// int8 lanes in reverse axis order (lane 0 = the last axis). Rank 0 becomes one element.
///
/// Two kernel variants: per element (GPUs, or short last axes) on a 3-D range of id 0 = last axis,
/// id 1 = the axis before it, id 2 = the earlier axes flattened, in 32×8 tiles that keep a work-group's
/// reads and writes within a few cache lines; or per run along the last axis (`rows`, CPU devices)
/// on a 2-D range of the other axes, whose inner loop the CPU compiler vectorises (when every operand
/// is contiguous or broadcast along the last axis).
struct StridedRange {
    let rank: Int32
    /// Lanes, last axis first.
    let shape: [Int32]
    /// True for the per-run kernel variant (kernel names ending in `_rows`).
    let rows: Bool
    let global: [Int]
    let local: [Int]?

    /// `operandStrides`: every operand's strides (read from and written to); the per-run variant is
    /// used only when all of them step by 0 or 1 along the last axis (transposes run per element in tiles).
    init(shape: [Int], operandStrides: [[Int]], device: OpenCLDevice) throws {
        guard shape.count <= maxKernelRank else {
            throw ComputeError.invalidArgument("strided kernels take at most \(maxKernelRank) axes, got \(shape.count)")
        }
        let axes = shape.isEmpty ? [1] : shape
        let count = axes.reduce(1, *)
        guard count <= Int(Int32.max) else {
            throw ComputeError.invalidArgument("\(count) elements exceed the OpenCL kernels' 32-bit indexing")
        }
        rank = Int32(axes.count)
        // Unused lanes are axes of extent 1 (the kernels test ids against lanes 0 and 1).
        self.shape = axes.reversed().map { Int32($0) } + [Int32](repeating: 1, count: maxKernelRank - axes.count)
        let last = axes[axes.count - 1]
        let second = axes.count >= 2 ? axes[axes.count - 2] : 1
        let rest = axes.dropLast(2).reduce(1, *)
        rows = device.usesCPUShapedKernels && last >= 16 && operandStrides.allSatisfy { ($0.last ?? 0) <= 1 }
        if rows {
            global = [second, rest]
            local = nil
            return
        }
        // Tile sizes: powers of two no larger than needed (the kernels skip the padding).
        func fitted(_ tile: Int, _ extent: Int) -> Int { extent >= tile ? tile : 1 << (Int.bitWidth - (extent - 1).leadingZeroBitCount) }
        var tile = [fitted(32, last), fitted(8, second)]
        if tile[0] * tile[1] > device.info.maxWorkGroupSize { tile = [min(tile[0], device.info.maxWorkGroupSize), 1] }
        global = [(last + tile[0] - 1) / tile[0] * tile[0], (second + tile[1] - 1) / tile[1] * tile[1], rest]
        local = [tile[0], tile[1], 1]
    }

    /// Element strides as kernel lanes, last axis first (rank 0 reads element 0).
    func strides(_ strides: [Int]) -> [Int32] {
        strides.isEmpty ? [0] : strides.reversed().map { Int32($0) }
    }
}
