/// Walks the rows (runs along the last axis) of a strided index space for up to three operands.
///
/// A collapsed layout of shape [s0, …, s(r−1)] is `rowCount` = s0·…·s(r−2) rows of `rowLength` =
/// s(r−1) elements. `forEachRow` visits a range of rows in order with an odometer over the outer
/// axes, handing the body each operand's element offset of the row's first element; the body then
/// runs a tight loop over the row with the operands' last-axis strides. Rank 0 is one row of one.
struct StridedRows {
    let shape: [Int]
    /// Per operand, the element strides of every axis.
    let strides: [[Int]]

    var rank: Int { shape.count }
    var rowLength: Int { rank == 0 ? 1 : shape[rank - 1] }
    var rowCount: Int { rank <= 1 ? 1 : shape[0..<(rank - 1)].reduce(1, *) }
    var count: Int { shape.reduce(1, *) }

    /// The last-axis stride of operand k (0 for rank 0).
    func lastStride(_ k: Int) -> Int { rank == 0 ? 0 : strides[k][rank - 1] }

    /// Rows per parallel chunk so that a chunk holds about `elements` elements.
    func rowGrain(elements: Int = 16_384) -> Int { max(1, elements / max(rowLength, 1)) }

    /// Calls body(row, o0, o1, o2) for rows in rows, where ok is operand k's offset of the row start
    /// (operands beyond `strides.count` get 0).
    @inline(__always)
    func forEachRow(_ rows: Range<Int>, _ body: (_ row: Int, _ o0: Int, _ o1: Int, _ o2: Int) -> Void) {
        let outerRank = max(rank - 1, 0)
        let operands = strides.count
        if outerRank == 0 {
            if !rows.isEmpty { body(0, 0, 0, 0) }
            return
        }
        var index = [Int](repeating: 0, count: outerRank)
        var offset = (0, 0, 0)
        @inline(__always) func step(_ k: Int, _ d: Int) -> Int { k < operands ? strides[k][d] : 0 }
        var r = rows.lowerBound
        for d in stride(from: outerRank - 1, through: 0, by: -1) {
            index[d] = r % shape[d]
            r /= shape[d]
            offset.0 += index[d] * step(0, d)
            offset.1 += index[d] * step(1, d)
            offset.2 += index[d] * step(2, d)
        }
        for row in rows {
            body(row, offset.0, offset.1, offset.2)
            var d = outerRank - 1
            while true {
                index[d] += 1
                offset.0 += step(0, d)
                offset.1 += step(1, d)
                offset.2 += step(2, d)
                if index[d] < shape[d] || d == 0 { break }
                offset.0 -= shape[d] * step(0, d)
                offset.1 -= shape[d] * step(1, d)
                offset.2 -= shape[d] * step(2, d)
                index[d] = 0
                d -= 1
            }
        }
    }
}
