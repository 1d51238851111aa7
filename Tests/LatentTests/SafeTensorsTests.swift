import Foundation
import Testing
@testable import Latent

/// The tensors of tools/make_safetensors_fixture.py's python_reference.safetensors, recomputed.
enum ReferenceFixture {
    static let weight: [Float] = (0..<24).map { (Float($0) - 12) * 0.125 }
    static let bias: [Float] = (0..<6).map { Float(1) / (Float($0) + 1) }
    static let labels: [Int32] = (0..<10).map { Int32($0) * 7 - 20 }
    static let halfSource: [Float] = [
        0.0, -0.0, 1.0, -2.5, 0.1, 3.14159265, 65504.0, 65520.0, 70000.0,
        6.0e-8, 2.9802322e-8, 1.0e-7, 6.1035156e-5, 1.0009765625 + 0x1p-11,
        .infinity, -.infinity, .nan,
    ]
    static let config = "{\"kind\": \"vae\", \"latent\": 16, \"note\": \"quote \\\" slash / é\"}\n\ttab \u{01}"

    static func tensors() throws -> SafeTensors {
        SafeTensors(
            tensors: [
                "encoder.conv1.weight": try SafeTensor(floats: weight, shape: [4, 6]),
                "encoder.conv1.bias": try SafeTensor(floats: bias, shape: [6]),
                "labels": try SafeTensor(int32s: labels, shape: [2, 5]),
                "half_source": try SafeTensor(floats: halfSource, shape: [17]),
                "half": try SafeTensor(floats: halfSource, shape: [17], as: .f16),
            ], metadata: ["config": config])
    }
}

private func f16Bits(_ tensor: SafeTensor) -> [UInt16] {
    stride(from: 0, to: tensor.bytes.count, by: 2).map { UInt16(tensor.bytes[$0]) | UInt16(tensor.bytes[$0 + 1]) << 8 }
}

@Suite struct SafeTensorsTests {
    @Test func readsThePythonFixtureExactly() throws {
        let file = try SafeTensors.read(fixture("python_reference.safetensors"))
        #expect(file.metadata == ["config": ReferenceFixture.config])
        #expect(file.tensors.count == 5)
        let weight = try #require(file["encoder.conv1.weight"])
        #expect(weight.dtype == .f32 && weight.shape == [4, 6])
        #expect(try weight.floats() == ReferenceFixture.weight)
        #expect(try file["encoder.conv1.bias"]!.floats() == ReferenceFixture.bias)
        let labels = try #require(file["labels"])
        #expect(labels.dtype == .i32 && labels.shape == [2, 5])
        #expect(try labels.int32s() == ReferenceFixture.labels)
        // numpy's float16 rounding equals ours, bit for bit, and the F16 → F32 read is exact.
        let half = try #require(file["half"])
        #expect(half.dtype == .f16 && half.shape == [17])
        let source = try file["half_source"]!.floats()
        #expect(source.map(\.bitPattern) == ReferenceFixture.halfSource.map(\.bitPattern))
        #expect(f16Bits(half) == source.map(HalfFloat.f16Bits(from:)))
        let decoded = try half.floats()
        #expect(decoded[0..<7] == [0, -0, 1, -2.5, Float(HalfFloat.float(fromF16: 0x2e66)), 3.140625, 65504])
        #expect(decoded[7] == .infinity && decoded[8] == .infinity && decoded[14] == .infinity && decoded[15] == -.infinity)
        #expect(decoded[16].isNaN)
        #expect(decoded[9] == 0x1p-24 && decoded[10] == 0)  // 6e-8 → smallest subnormal; 2^-25 ties to even → 0
    }

    /// The strongest interop check: Latent writes the same bytes as the Python package.
    @Test func writesThePythonFixtureByteForByte() throws {
        let expected = readBytes(fixture("python_reference.safetensors"))
        #expect(expected.count == 734)
        #expect(try ReferenceFixture.tensors().encoded() == expected)
        let folder = TempFolder()
        try ReferenceFixture.tensors().write(to: folder.file("latent.safetensors"))
        #expect(readBytes(folder.file("latent.safetensors")) == expected)
        if let out = ProcessInfo.processInfo.environment["LATENT_INTEROP_OUT"] {
            // For tools/check_safetensors_with_python.py: a Latent-written file with several metadata keys.
            var file = try ReferenceFixture.tensors()
            file.metadata = ["config": ReferenceFixture.config, "step": "42", "rng_seed": "7"]
            try file.write(to: out)
        }
    }

    @Test func readsScalarsEmptyTensorsAndOtherDtypes() throws {
        let file = try SafeTensors.read(fixture("python_metadata.safetensors"))
        #expect(file.metadata == ["format_version": "1", "step": "42", "rng_seed": "7", "rng_offset": "1000"])
        #expect(file["scalar"]!.shape == [] && file["scalar"]!.count == 1)
        #expect(try file["scalar"]!.floats() == [2.75])
        #expect(file["empty"]!.shape == [0, 3] && file["empty"]!.bytes.isEmpty)
        #expect(try file["step"]!.int64s() == [123456789012])
        #expect(throws: ComputeError.self) { try file["step"]!.int32s() }  // does not fit
        #expect(file["bytes"]!.dtype == .u8)
        #expect(try file["bytes"]!.int32s() == [0, 50, 100, 150, 200])
        #expect(throws: ComputeError.self) { try file["bytes"]!.floats() }
        // Python writes an I64 first, then F32 by name, then U8; re-encoding reproduces it except
        // for the metadata order (hash order in Python), so compare after a round trip instead.
        #expect(try SafeTensors.decode(file.encoded(), path: "x") == file)
    }

    @Test func roundTripsEveryDtype() throws {
        var file = SafeTensors(metadata: ["a": "1", "ünïcode \"key\"": "line\nbreak\u{7f}"])
        file["w"] = try SafeTensor(floats: [1.5, -2, .pi, 1e-30], shape: [2, 2])
        file["h"] = try SafeTensor(floats: [1, 0.5, -65504], shape: [3], as: .f16)
        file["b"] = try SafeTensor(floats: [1, 3.140625, -0.0078125], shape: [3, 1], as: .bf16)
        file["i"] = try SafeTensor(int32s: [.min, -1, 0, .max], shape: [4])
        file["l"] = try SafeTensor(int64s: [.min, .max], shape: [2])
        file["u"] = try SafeTensor(uint8s: [0, 255], shape: [1, 2, 1])
        file["d"] = try SafeTensor(dtype: .f64, shape: [1], bytes: withUnsafeBytes(of: 2.5.bitPattern.littleEndian) { Array($0) })
        file["name with spaces/and.dots"] = try SafeTensor(floats: [], shape: [0])
        let folder = TempFolder()
        try file.write(to: folder.file("t.safetensors"))
        let back = try SafeTensors.read(folder.file("t.safetensors"))
        #expect(back == file)
        #expect(try back["h"]!.floats() == [1, 0.5, -65504])
        #expect(try back["b"]!.floats() == [1, 3.140625, -0.0078125])
        #expect(try back["d"]!.floats() == [2.5])
        let header = readBytes(folder.file("t.safetensors"))
        let headerLength = Int(header[0]) | Int(header[1]) << 8
        #expect(headerLength % 8 == 0)
        #expect(folder.contents == ["t.safetensors"])  // no temporary file left behind
    }

    @Test func halfConversionIsExactAndRoundsToEven() {
        for bits in 0...UInt16.max {
            let value = HalfFloat.float(fromF16: bits)
            if value.isNaN {
                #expect(HalfFloat.f16Bits(from: value) & 0x7c00 == 0x7c00 && HalfFloat.f16Bits(from: value) & 0x3ff != 0)
            } else if HalfFloat.f16Bits(from: value) != bits {
                Issue.record("F16 \(bits) → \(value) → \(HalfFloat.f16Bits(from: value))")
            }
        }
        #expect(HalfFloat.f16Bits(from: 1 + 0x1p-11) == 0x3c00)  // tie → even (down)
        #expect(HalfFloat.f16Bits(from: 1 + 3 * 0x1p-11) == 0x3c02)  // tie → even (up)
        #expect(HalfFloat.f16Bits(from: 65520) == 0x7c00)  // rounds to infinity
        #expect(HalfFloat.f16Bits(from: 0x1p-25) == 0)  // tie → 0
        #expect(HalfFloat.f16Bits(from: 0x1.8p-25) == 1)
        #expect(HalfFloat.f16Bits(from: -0x1p-14) == 0x8400)  // smallest normal
        #expect(HalfFloat.bf16Bits(from: 1 + 0x1p-8) == 0x3f80)  // tie → even
        #expect(HalfFloat.bf16Bits(from: 1 + 3 * 0x1p-8) == 0x3f82)
        #expect(HalfFloat.float(fromBF16: HalfFloat.bf16Bits(from: .pi)) == 3.140625)
        #expect(HalfFloat.float(fromBF16: HalfFloat.bf16Bits(from: .nan)).isNaN)
    }

    @Test func tensorBridge() throws {
        let device = CPUDevice()
        let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: device)
        let stored = try SafeTensor(t)
        #expect(stored.dtype == .f32 && stored.shape == [2, 3])
        #expect(try stored.tensor(on: device).toArray() == [1, 2, 3, 4, 5, 6])
        let labels = try SafeTensor(Tensor(indices: [3, 1], shape: [2], on: device))
        #expect(labels.dtype == .i32)
        #expect(try labels.tensor(on: device).toIndices() == [3, 1])
        #expect(try SafeTensor(floats: [0.5], shape: [1], as: .f16).tensor(on: device).toArray() == [0.5])
        let named = try SafeTensors.host(["w": t])
        #expect(named["w"] == stored)
        #expect(try SafeTensors(tensors: named).deviceTensors(on: device)["w"]?.toArray() == [1, 2, 3, 4, 5, 6])
    }

    @Test func setValidationReportsEveryDifferenceByName() throws {
        var file = SafeTensors()
        file["a"] = try SafeTensor(floats: [0, 0], shape: [2])
        file["b"] = try SafeTensor(floats: [0, 0, 0, 0], shape: [2, 2])
        file["stray"] = try SafeTensor(floats: [0], shape: [1])
        file["optimizer.a"] = try SafeTensor(floats: [0, 0], shape: [2])
        let report = file.check(against: ["a": [2], "b": [4], "c": [1], "optimizer.a": [2]])
        #expect(report.missing == ["c"])
        #expect(report.unexpected == ["stray"])
        #expect(report.shapeMismatches.map(\.name) == ["b"])
        #expect(report.shapeMismatches.first?.found == [2, 2])
        #expect(report.description == "missing tensors: c; unexpected tensors: stray; 'b' has shape [2, 2], expected [4]")
        expectFileError(.mismatch, "m.safetensors", "missing tensors: c") { try report.throwIfAny(path: "m.safetensors") }
        #expect(file.check(against: ["a": [2], "b": [2, 2], "stray": [1], "optimizer.a": [2]]).isEmpty)
        #expect(file.check(against: ["a": [2]], prefix: "optimizer.").isEmpty)
    }
}
