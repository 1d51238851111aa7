/// A zero-bordered copy of one input plane, laid out so that kernel tap (i, j) of output pixel p
/// reads `values[pixelOffsets[p] + tapOffset(i, j)]`. With it a column-matrix row of any stride
/// and dilation is one branch-free gather, and its adjoint one branch-free scatter-add. The
/// row-by-row path of `fillColumnRow` spends most of its time on bounds and short-row set-up when
/// rows are strided and 7-14 values long (the 4x4 stride-2 convolutions of the VAE and VQ-VAE).
final class ConvPaddedPlane {
    private let geometry: ConvGeometry
    /// Length of a padded row and number of padded rows.
    private let rowLength: Int, rows: Int
    private let values: UnsafeMutablePointer<Float>
    private let pixelOffsets: UnsafeMutablePointer<Int>
    private let pixels: Int
    /// The offset of each kernel tap, in (i, j) order.
    let tapOffsets: [Int]

    /// Strided and dilated windows gain; stride-1 rows are contiguous and `fillColumnRow` copies them as vectors.
    static func suits(_ g: ConvGeometry) -> Bool { g.strideX != 1 || g.strideY != 1 || g.dilationX != 1 || g.dilationY != 1 }

    init(_ g: ConvGeometry) {
        geometry = g
        // Wide enough for the last tap of the last output pixel and for the whole input plane.
        rowLength = max(g.padX + g.width, (g.outWidth - 1) * g.strideX + (g.kernelWidth - 1) * g.dilationX + 1)
        rows = max(g.padY + g.height, (g.outHeight - 1) * g.strideY + (g.kernelHeight - 1) * g.dilationY + 1)
        values = .allocate(capacity: rows * rowLength)
        values.initialize(repeating: 0, count: rows * rowLength)
        pixels = g.outHeight * g.outWidth
        pixelOffsets = .allocate(capacity: max(1, pixels))
        for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth { pixelOffsets[oy * g.outWidth + ox] = oy * g.strideY * rowLength + ox * g.strideX }
        }
        var taps: [Int] = []
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth { taps.append(i * g.dilationY * rowLength + j * g.dilationX) }
        }
        tapOffsets = taps
    }

    deinit {
        values.deallocate()
        pixelOffsets.deallocate()
    }

    /// Copies an input plane into the interior; the border was zeroed at init and is never written.
    func load(_ plane: UnsafePointer<Float>) {
        let g = geometry
        for y in 0..<g.height {
            (values + (y + g.padY) * rowLength + g.padX).update(from: plane + y * g.width, count: g.width)
        }
    }

    /// One column-matrix row: the loaded plane under tap `tap` (an index into `tapOffsets`) at every output pixel.
    @inline(__always)
    func fillRow(tap: Int, into row: UnsafeMutablePointer<Float>) {
        let source = UnsafePointer(values + tapOffsets[tap]), offsets = pixelOffsets
        for p in 0..<pixels { row[p] = source[offsets[p]] }
    }

    /// The adjoint of `load` + `fillRow` over all taps: `rows` holds the plane's kh·kw column rows
    /// (tap t at `rows + t·rowStride`); each pixel sums its entries in tap order, starting from 0,
    /// the order of `gatherColumnRows` and of the OpenCL col2im kernel.
    func gatherRows(_ rows: UnsafePointer<Float>, rowStride: Int, into plane: UnsafeMutablePointer<Float>) {
        let g = geometry, offsets = pixelOffsets
        values.update(repeating: 0, count: self.rows * rowLength)
        for (t, tapOffset) in tapOffsets.enumerated() {
            let target = values + tapOffset, row = rows + t * rowStride
            for p in 0..<pixels { target[offsets[p]] += row[p] }
        }
        for y in 0..<g.height {
            (plane + y * g.width).update(from: values + (y + g.padY) * rowLength + g.padX, count: g.width)
        }
    }
}
