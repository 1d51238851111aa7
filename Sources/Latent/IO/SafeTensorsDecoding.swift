/// Reading and validating `.safetensors` files.
///
/// Every check the format allows is made, and each failure is a `FileError` naming the file and,
/// where there is one, the tensor: file shorter than 8 bytes; header length beyond the file or
/// above 100 MB; header not UTF-8 JSON or not an object; `__metadata__` not an object of strings;
/// a tensor entry without a known `dtype`, an integer `shape` or two `data_offsets`; shape × dtype
/// size different from the byte range; byte ranges outside the data section, overlapping, out of
/// order or leaving gaps (the layout must be contiguous from 0, as the Python package requires).
extension SafeTensors {
    /// The largest header accepted (the Python package's limit).
    public static let maximumHeaderLength = 100_000_000

    /// Reads and validates a file.
    public static func read(_ path: String) throws -> SafeTensors {
        try decode(WholeFile.read(path), path: path)
    }

    /// Validates and decodes file content; `path` only labels errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> SafeTensors {
        func fail(_ kind: FileError.Kind, _ message: String) -> FileError { FileError(kind, path: path, message) }

        guard bytes.count >= 8 else {
            throw fail(.truncated, "file has \(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(maximumHeaderLength) else {
            throw fail(.malformed, "header length \(declared) is absurd (limit \(maximumHeaderLength) bytes); not a safetensors file?")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw fail(.truncated, "header length says \(headerLength) bytes but only \(bytes.count - 8) follow the length field")
        }
        let headerBytes = bytes[8..<(8 + headerLength)]
        let json: JSONValue
        switch JSONValue.parse(headerBytes) {
        case .success(let value): json = value
        case .failure(let error):
            throw fail(.malformed, "header is not valid JSON (\(describeJSONError(error)))")
        }
        guard case .object(let entries) = json else {
            throw fail(.malformed, "header is \(json.typeName), not a JSON object")
        }

        var metadata: [String: String]? = nil
        if let meta = entries["__metadata__"] {
            guard case .object(let fields) = meta else {
                throw fail(.malformed, "__metadata__ is \(meta.typeName), not an object of strings")
            }
            var strings = [String: String]()
            for (key, value) in fields {
                guard case .string(let text) = value else {
                    throw fail(.malformed, "__metadata__[\"\(key)\"] is \(value.typeName), not a string")
                }
                strings[key] = text
            }
            metadata = strings
        }

        struct Entry {
            let name: String
            let dtype: SafeTensorDType
            let shape: [Int]
            let begin: Int
            let end: Int
        }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var layout = [Entry]()
        for (name, value) in entries where name != "__metadata__" {
            func bad(_ message: String) -> FileError { fail(.malformed, "tensor '\(name)': \(message)") }
            guard case .object(let info) = value else { throw bad("entry is \(value.typeName), not an object") }
            guard case .string(let dtypeName)? = info["dtype"] else { throw bad("missing or non-string \"dtype\"") }
            guard let dtype = SafeTensorDType(rawValue: dtypeName) else {
                throw FileError(.unsupported, path: path, "tensor '\(name)': unknown dtype \"\(dtypeName)\"")
            }
            guard case .array(let dims)? = info["shape"] else { throw bad("missing \"shape\" array") }
            var shape = [Int]()
            for dim in dims {
                guard case .integer(let d) = dim, d >= 0 else { throw bad("shape entry \(dim.typeName) is not a non-negative integer") }
                shape.append(d)
            }
            guard case .array(let offsets)? = info["data_offsets"], offsets.count == 2,
                case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1], begin >= 0, end >= 0
            else {
                throw bad("\"data_offsets\" must be two non-negative integers")
            }
            guard begin <= end else { throw bad("data_offsets [\(begin), \(end)] end before they begin") }
            guard let needed = SafeTensor.byteLength(shape, dtype) else { throw bad("shape \(shape) is too large") }
            guard needed == end - begin else {
                throw bad("shape \(shape) of \(dtype.rawValue) needs \(needed) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)")
            }
            guard end <= dataLength else {
                throw FileError(
                    .truncated, path: path,
                    "tensor '\(name)': data_offsets [\(begin), \(end)] reach past the data section, which has \(dataLength) bytes")
            }
            layout.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        layout.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        var previous: Entry? = nil
        for entry in layout {
            if entry.begin < position, let previous {
                throw fail(
                    .malformed,
                    "tensors '\(previous.name)' [\(previous.begin), \(previous.end)] and '\(entry.name)' [\(entry.begin), \(entry.end)] overlap")
            }
            if entry.begin > position {
                let after = previous.map { "after '\($0.name)'" } ?? "at the start of the data section"
                throw fail(.malformed, "\(entry.begin - position) unused bytes \(after), before '\(entry.name)' at offset \(entry.begin)")
            }
            position = entry.end
            previous = entry
        }
        guard position == dataLength else {
            throw fail(.malformed, "\(dataLength - position) bytes after the last tensor's data")
        }

        var tensors = [String: SafeTensor]()
        for entry in layout {
            let slice = Array(bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
            tensors[entry.name] = try SafeTensor(dtype: entry.dtype, shape: entry.shape, bytes: slice)
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }
}

/// Foundation's JSON errors carry their reason in the debug description; keep it short.
private func describeJSONError(_ error: any Error) -> String {
    let text: String
    if case DecodingError.dataCorrupted(let context) = error {
        text = (context.underlyingError.map { "\($0)" }) ?? context.debugDescription
    } else {
        text = "\(error)"
    }
    return text.count > 200 ? String(text.prefix(200)) + "…" : text
}
