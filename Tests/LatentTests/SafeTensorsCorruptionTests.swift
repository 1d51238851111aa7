import Foundation
import Testing
@testable import Latent

/// A file with the given header text (padded to 8 bytes) followed by `data`.
private func file(header: String, data: [UInt8]) -> [UInt8] {
    var h = Array(header.utf8)
    h += [UInt8](repeating: 0x20, count: (8 - h.count % 8) % 8)
    return withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h + data
}

private func decode(_ bytes: [UInt8]) throws { _ = try SafeTensors.decode(bytes, path: "/x/model.safetensors") }

@Suite struct SafeTensorsCorruptionTests {
    let valid = readBytes(fixture("python_reference.safetensors"))

    @Test func everyTruncationIsAClearError() {
        let headerEnd = 8 + Int(valid[0]) + Int(valid[1]) << 8
        for length in 0..<valid.count {
            let error = expectFileError(.truncated, "/x/model.safetensors") {
                try decode(Array(valid.prefix(length)))
            }
            if length < 8 {
                #expect(error?.message.contains("fewer than the 8-byte header length") == true)
            } else if length < headerEnd {
                #expect(error?.message.contains("header length says \(headerEnd - 8) bytes but only \(length - 8) follow") == true)
            } else {
                #expect(error?.message.contains("reach past the data section") == true, "\(length): \(String(describing: error))")
            }
        }
    }

    @Test func randomBytesAndMutationsNeverCrash() {
        var rng = FuzzRandom(seed: 2024)
        for _ in 0..<300 {
            let count = Int(rng.next() % 300)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if count >= 8, rng.next() % 2 == 0 {
                // A plausible length prefix, so the JSON parser sees the garbage too.
                let n = UInt64(count - 8)
                for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
            }
            #expect(throws: FileError.self) { try decode(bytes) }
        }
        // Single-byte mutations of a valid file: either still valid or a FileError, never a crash.
        for _ in 0..<1000 {
            var bytes = valid
            bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            do { try decode(bytes) } catch is FileError {} catch { Issue.record("unexpected \(error)") }
        }
    }

    @Test func headerLengthTooLargeOrAbsurd() {
        var bytes = valid
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) })
        expectFileError(.malformed, "header length 1099511627776 is absurd") { try decode(bytes) }
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(valid.count).littleEndian) { Array($0) })
        expectFileError(.truncated, "header length says \(valid.count) bytes") { try decode(bytes) }
    }

    @Test func badJSON() {
        expectFileError(.malformed, "header is not valid JSON") { try decode(file(header: "{\"a\": {\"dtype\"", data: [])) }
        expectFileError(.malformed, "header is not valid JSON") { try decode(file(header: "\u{ff}garbage", data: [])) }
        expectFileError(.malformed, "header is an array, not a JSON object") { try decode(file(header: "[1, 2]", data: [])) }
        expectFileError(.malformed, "__metadata__[\"k\"] is a number, not a string") {
            try decode(file(header: "{\"__metadata__\": {\"k\": 1}}", data: []))
        }
        expectFileError(.malformed, "__metadata__[\"k\"] is a boolean, not a string") {
            try decode(file(header: "{\"__metadata__\": {\"k\": true}}", data: []))
        }
        expectFileError(.malformed, "tensor 'w': shape entry a boolean is not a non-negative integer") {
            try decode(file(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [true], \"data_offsets\": [0, 4]}}", data: [0, 0, 0, 0]))
        }
        expectFileError(.malformed, "tensor 'w': entry is a string") { try decode(file(header: "{\"w\": \"x\"}", data: [])) }
        expectFileError(.malformed, "tensor 'w': missing \"shape\"") {
            try decode(file(header: "{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", data: [0, 0, 0, 0]))
        }
        expectFileError(.malformed, "tensor 'w': shape entry a number is not a non-negative integer") {
            try decode(file(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", data: [0, 0, 0, 0]))
        }
        expectFileError(.malformed, "tensor 'w': \"data_offsets\" must be two non-negative integers") {
            try decode(file(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", data: []))
        }
        // Deep nesting is refused by the parser, not by a stack overflow.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expectFileError(.malformed) { try decode(file(header: deep, data: [])) }
    }

    @Test func unknownDtype() {
        expectFileError(.unsupported, "tensor 'w8': unknown dtype \"F8_E4M3\"") {
            try decode(file(header: "{\"w8\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", data: [1, 2]))
        }
    }

    @Test func shapeTimesDtypeSizeMustMatchTheByteRange() {
        expectFileError(.malformed, "tensor 'w': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] hold 20") {
            try decode(
                file(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", data: [UInt8](repeating: 0, count: 20)))
        }
        expectFileError(.malformed, "tensor 'w': shape [4611686018427387904, 4] is too large") {
            try decode(file(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 0]}}", data: []))
        }
    }

    @Test func offsetsOutOfRangeOverlappingOrWithGaps() {
        let data = [UInt8](repeating: 0, count: 16)
        expectFileError(.truncated, "tensor 'b': data_offsets [8, 24] reach past the data section, which has 16 bytes") {
            try decode(
                file(
                    header:
                        "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [8, 24]}}",
                    data: data))
        }
        expectFileError(.malformed, "tensors 'a' [0, 12] and 'b' [8, 16] overlap") {
            try decode(
                file(
                    header:
                        "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}",
                    data: data))
        }
        expectFileError(.malformed, "4 unused bytes after 'a', before 'b' at offset 8") {
            try decode(
                file(
                    header:
                        "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}",
                    data: data))
        }
        expectFileError(.malformed, "4 unused bytes at the start of the data section, before 'a'") {
            try decode(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [4, 16]}}", data: data))
        }
        expectFileError(.malformed, "8 bytes after the last tensor's data") {
            try decode(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", data: data))
        }
        expectFileError(.malformed, "tensor 'a': data_offsets [8, 4] end before they begin") {
            try decode(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", data: data))
        }
        // Out of order in the header but contiguous in the data: valid.
        #expect(throws: Never.self) {
            try decode(
                file(
                    header:
                        "{\"b\": {\"dtype\": \"I32\", \"shape\": [2], \"data_offsets\": [8, 16]}, \"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}",
                    data: data))
        }
    }

    @Test func missingFileAndFolder() {
        let folder = TempFolder()
        expectFileError(.notFound, folder.file("none.safetensors"), "no such file") { _ = try SafeTensors.read(folder.file("none.safetensors")) }
        expectFileError(.malformed, "is a folder") { _ = try SafeTensors.read(folder.path) }
    }
}

/// A tiny deterministic generator for the fuzz cases.
struct FuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
