import Foundation

/// Appends one JSON object per logged step to `metrics.jsonl` and keeps the loss history for the
/// loss-curve picture. Appending (not rewriting) means a resumed run continues the same file.
public final class MetricsLog {
    public let path: String
    private let handle: FileHandle
    public private(set) var losses: [(step: Int, loss: Float)] = []

    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        losses = MetricsLog.readLosses(path)
    }

    deinit { try? handle.close() }

    public func append(_ report: StepReport, stepsPerSecond: Double, elapsed: Double) throws {
        var object: [String: Any] = [
            "step": report.step, "loss": Double(report.loss), "lr": Double(report.learningRate),
            "steps_per_s": stepsPerSecond, "elapsed_s": elapsed,
        ]
        for (name, value) in report.metrics { object[name] = Double(value) }
        if let norm = report.gradientNorm { object["grad_norm"] = Double(norm) }
        var line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        line.append(0x0A)
        try handle.write(contentsOf: line)
        losses.removeAll { $0.step >= report.step }
        losses.append((report.step, report.loss))
    }

    /// The (step, loss) pairs of an existing metrics file, for a resumed run's curve.
    static func readLosses(_ path: String) -> [(step: Int, loss: Float)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let step = object["step"] as? Int, let loss = object["loss"] as? Double
            else { return nil }
            return (step, Float(loss))
        }
    }
}

/// A loss curve as a small standalone SVG (log-scale loss axis when the range is wide).
public enum LossCurve {
    public static func svg(_ points: [(step: Int, loss: Float)], title: String, width: Int = 640, height: Int = 360) -> String {
        let finite = points.filter { $0.loss.isFinite }
        let (left, right, top, bottom) = (70.0, Double(width) - 20, 30.0, Double(height) - 40)
        var body = ""
        if let first = finite.first, let last = finite.last {
            let losses = finite.map { Double($0.loss) }
            let (low, high) = (losses.min()!, losses.max()!)
            let logScale = low > 0 && high / low > 20
            func y(_ v: Double) -> Double {
                let (a, b, x) = logScale ? (log10(low), log10(high), log10(v)) : (low, high, v)
                return b == a ? (top + bottom) / 2 : bottom - (x - a) / (b - a) * (bottom - top)
            }
            let span = Double(max(last.step - first.step, 1))
            func x(_ s: Int) -> Double { left + Double(s - first.step) / span * (right - left) }
            let path = finite.map { String(format: "%.1f,%.1f", x($0.step), y(Double($0.loss))) }.joined(separator: " ")
            body += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            for (value, label) in [(high, high), (low, low)] {
                body += String(
                    format: "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.4g</text>\n", left - 6, y(value) + 4, label)
            }
            body += String(format: "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">step %d</text>\n", left, bottom + 18, first.step)
            body += String(format: "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">step %d</text>\n", right, bottom + 18, last.step)
            if logScale { body += "<text x=\"\(Int(left))\" y=\"20\" font-size=\"11\" fill=\"#666\">(log scale)</text>\n" }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="18" font-size="13" text-anchor="middle">\(title)</text>
            <line x1="\(Int(left))" y1="\(Int(bottom))" x2="\(Int(right))" y2="\(Int(bottom))" stroke="#888"/>
            <line x1="\(Int(left))" y1="\(Int(top))" x2="\(Int(left))" y2="\(Int(bottom))" stroke="#888"/>
            \(body)</svg>

            """
    }
}
