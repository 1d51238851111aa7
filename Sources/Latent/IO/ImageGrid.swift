/// Tiles a batch of images (N×C×H×W floats) into one picture of `rows × columns` cells separated
/// and framed by `padding` pixels of `paddingValue` (like torchvision's `make_grid`). Cells after
/// the last image are filled with `paddingValue` too.
public struct ImageGrid: Sendable {
    public let columns: Int
    public let padding: Int
    public let paddingValue: Float

    /// `columns` nil: ⌈√N⌉ columns.
    public init(columns: Int? = nil, padding: Int = 2, paddingValue: Float = 0) {
        self.columns = columns ?? 0
        self.padding = padding
        self.paddingValue = paddingValue
    }

    /// The grid's columns and rows for `count` images.
    public func layout(count: Int) -> (columns: Int, rows: Int) {
        let cols = max(1, columns > 0 ? min(columns, max(count, 1)) : Int(Double(count).squareRoot().rounded(.up)))
        return (cols, max(1, (count + cols - 1) / cols))
    }

    /// Tiles `images` (shape [N, C, H, W]); returns C×H'×W' values and that shape.
    public func tile(_ images: [Float], shape: [Int]) throws -> (values: [Float], shape: [Int]) {
        guard shape.count == 4, shape.allSatisfy({ $0 >= 0 }), images.count == shape.reduce(1, *), padding >= 0 else {
            throw ComputeError.shapeMismatch("image grid needs N×C×H×W values, got \(images.count) for \(shape)")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (cols, rows) = layout(count: n)
        let gridH = rows * h + (rows + 1) * padding
        let gridW = cols * w + (cols + 1) * padding
        var out = [Float](repeating: paddingValue, count: c * gridH * gridW)
        for i in 0..<n {
            let top = padding + (i / cols) * (h + padding)
            let left = padding + (i % cols) * (w + padding)
            for ch in 0..<c {
                for y in 0..<h {
                    let src = ((i * c + ch) * h + y) * w
                    let dst = (ch * gridH + top + y) * gridW + left
                    for x in 0..<w { out[dst + x] = images[src + x] }
                }
            }
        }
        return (out, [c, gridH, gridW])
    }

    /// Tiles `images` and writes the grid as an 8-bit PNG (C = 1 or 3); `range` maps to 0…255.
    public func writePNG(_ images: [Float], shape: [Int], range: ClosedRange<Float>, to path: String) throws {
        let (values, gridShape) = try tile(images, shape: shape)
        let picture = try PNGImage(planar: values, channels: gridShape[0], height: gridShape[1], width: gridShape[2], range: range)
        try PNG.write(picture, to: path)
    }
}
