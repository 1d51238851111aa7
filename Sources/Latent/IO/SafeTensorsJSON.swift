import Foundation

/// A parsed JSON value, decoded with Foundation's `JSONDecoder`, so the safetensors reader can
/// check each field's type itself and say exactly what is wrong with a header.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Most likely types first (a failed attempt costs an error value): strings and integers
        // fill safetensors headers. Int refuses booleans and fractions, so the order is safe.
        if container.decodeNil() {
            self = .null
            return
        }
        if let value = try? container.decode(String.self) {
            self = .string(value)
            return
        }
        if let value = try? container.decode(Int.self) {
            self = .integer(value)
            return
        }
        if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
            return
        }
        if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
            return
        }
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
            return
        }
        self = .number(try container.decode(Double.self))
    }

    /// Parses `bytes` as one JSON value; nil with Foundation's reason when it is not valid JSON.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Result<JSONValue, any Error> {
        Result { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }
    }

    /// A short name of the value's JSON type, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Writes the compact JSON that the Python `safetensors` package (serde_json) writes: no spaces,
/// `"` `\` and control characters escaped (`\n`, `\t`, `\r`, `\b`, `\f`, else `\u00xx`), `/` and
/// non-ASCII characters written as they are (UTF-8).
struct CompactJSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0a: raw("\\n")
            case 0x09: raw("\\t")
            case 0x0d: raw("\\r")
            case 0x08: raw("\\b")
            case 0x0c: raw("\\f")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func integers(_ values: [Int]) {
        raw("[" + values.map(String.init).joined(separator: ",") + "]")
    }
}
