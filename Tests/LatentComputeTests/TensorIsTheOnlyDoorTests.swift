import Foundation
import Testing

/// Models, optimizers, evaluation, the command line and the benchmarks reach the device only
/// through `Tensor`: no Swift file outside Sources/LatentCompute touches a raw device buffer or
/// calls a kernel on one.
@Suite struct TensorIsTheOnlyDoorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    /// `x.buffer`, `makeBuffer(`, a device-level transfer (its `byteOffset:`), or the buffer protocol.
    static func rawAccess() throws -> Regex<AnyRegexOutput> {
        try Regex(#"\.buffer\b|makeBuffer\(|byteOffset:|\bany DeviceBuffer\b"#)
    }

    @Test func noRawBufferAccessOutsideLatentCompute() throws {
        let rawAccess = try Self.rawAccess()
        var offenders: [String] = []
        for folder in ["Sources/Latent", "Sources/latent", "Benchmarks", "Examples"] {
            let base = Self.root.appendingPathComponent(folder)
            guard let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let file as URL in files where file.pathExtension == "swift" && !file.path.contains("/.build") {
                let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                for (number, line) in lines.enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    guard !code.hasPrefix("//"), code.contains(rawAccess) else { continue }
                    offenders.append("\(file.path.replacingOccurrences(of: Self.root.path + "/", with: "")):\(number + 1): \(code)")
                }
            }
        }
        #expect(offenders.isEmpty, "raw buffer access outside LatentCompute:\n\(offenders.joined(separator: "\n"))")
    }

    /// The pattern itself must catch what it is meant to catch.
    @Test func thePatternMatchesRawCalls() throws {
        let rawAccess = try Self.rawAccess()
        #expect("try p.device.adamStep(p.buffer, gradient: g.buffer".contains(rawAccess))
        #expect("let b = try device.makeBuffer(byteCount: 4)".contains(rawAccess))
        #expect("try device.write($0, to: t.storage, byteOffset: 0)".contains(rawAccess))
        #expect(!"try p.adamStep(gradient: g, m: m, v: v, hyper: h)".contains(rawAccess))
        #expect(!"try trainer.checkpoint().write(to: path)".contains(rawAccess))
    }
}
