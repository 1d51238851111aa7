/// The differences between a loaded tensor set and the set a model expects, by name.
///
/// `SafeTensors.check(against:)` fills it; `throwIfAny(path:)` turns a non-empty report into one
/// `FileError(.mismatch, …)` that lists every problem, so a user sees all missing, unexpected and
/// wrongly shaped tensors at once instead of the first one.
public struct TensorSetReport: Sendable, Equatable, CustomStringConvertible {
    /// Expected names the file lacks.
    public var missing: [String] = []
    /// Names in the file that nothing expects.
    public var unexpected: [String] = []
    /// Names present in both with different shapes.
    public var shapeMismatches: [(name: String, expected: [Int], found: [Int])] = []

    public init() {}

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty }

    public var description: String {
        var parts = [String]()
        if !missing.isEmpty { parts.append("missing tensors: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { parts.append("unexpected tensors: " + unexpected.joined(separator: ", ")) }
        for m in shapeMismatches { parts.append("'\(m.name)' has shape \(m.found), expected \(m.expected)") }
        return parts.isEmpty ? "all tensors match" : parts.joined(separator: "; ")
    }

    /// Throws a `.mismatch` error describing every difference, unless there are none.
    public func throwIfAny(path: String) throws {
        if !isEmpty { throw FileError(.mismatch, path: path, description) }
    }

    public static func == (a: TensorSetReport, b: TensorSetReport) -> Bool {
        a.missing == b.missing && a.unexpected == b.unexpected
            && a.shapeMismatches.map(\.name) == b.shapeMismatches.map(\.name)
            && a.shapeMismatches.map(\.expected) == b.shapeMismatches.map(\.expected)
            && a.shapeMismatches.map(\.found) == b.shapeMismatches.map(\.found)
    }
}

extension SafeTensors {
    /// Compares the tensors whose names start with `prefix` (default: all) against `expected`
    /// (name → shape; names without the prefix). Lists are sorted by name.
    public func check(against expected: [String: [Int]], prefix: String = "") -> TensorSetReport {
        var report = TensorSetReport()
        var present = [String: [Int]]()
        for (name, tensor) in tensors where name.hasPrefix(prefix) {
            present[String(name.dropFirst(prefix.count))] = tensor.shape
        }
        for name in expected.keys.sorted() {
            guard let found = present[name] else {
                report.missing.append(name)
                continue
            }
            if found != expected[name]! { report.shapeMismatches.append((name, expected[name]!, found)) }
        }
        report.unexpected = present.keys.filter { expected[$0] == nil }.sorted()
        return report
    }
}
