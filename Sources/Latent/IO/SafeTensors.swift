/// Element types of the safetensors format. The declaration order is the order of the Rust
/// `safetensors` crate's `Dtype` enum, which the Python package uses to lay tensors out (largest
/// first); `SafeTensors.encoded()` follows it so its output matches the Python package byte for byte.
public enum SafeTensorDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    /// Position in the Rust crate's enum; tensors with a larger rank are written first.
    var layoutRank: Int { Self.allCases.firstIndex(of: self)! }
}

/// One tensor as stored in a safetensors file: element type, shape and the raw little-endian bytes.
///
/// Host memory only. Build one from `[Float]`/`[Int32]` (or from a device `Tensor`), and read it
/// back with `floats()` (converting F16/BF16/F64 to Float32) or `int32s()`.
public struct SafeTensor: Sendable, Equatable {
    public let dtype: SafeTensorDType
    public let shape: [Int]
    public let bytes: [UInt8]

    /// Elements in the tensor (1 for a scalar of shape []).
    public var count: Int { shape.reduce(1, *) }

    /// Wraps raw little-endian bytes; throws when their length does not match shape × dtype size.
    public init(dtype: SafeTensorDType, shape: [Int], bytes: [UInt8]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), let n = Self.byteLength(shape, dtype), n == bytes.count else {
            throw ComputeError.shapeMismatch("\(bytes.count) bytes for \(dtype.rawValue) tensor of shape \(shape)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float tensor stored as F32 (default), F16 or BF16 (rounded to nearest, ties to even).
    public init(floats: [Float], shape: [Int], as dtype: SafeTensorDType = .f32) throws {
        var bytes = [UInt8]()
        switch dtype {
        case .f32:
            bytes = floats.withUnsafeBytes { Array($0) }
        case .f16, .bf16:
            bytes.reserveCapacity(floats.count * 2)
            for value in floats {
                let bits = dtype == .f16 ? HalfFloat.f16Bits(from: value) : HalfFloat.bf16Bits(from: value)
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            }
        default:
            throw ComputeError.dtypeMismatch("cannot store floats as \(dtype.rawValue); use F32, F16 or BF16")
        }
        try self.init(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// An I32 tensor.
    public init(int32s: [Int32], shape: [Int]) throws {
        try self.init(dtype: .i32, shape: shape, bytes: int32s.withUnsafeBytes { Array($0) })
    }

    /// An I64 tensor.
    public init(int64s: [Int64], shape: [Int]) throws {
        try self.init(dtype: .i64, shape: shape, bytes: int64s.withUnsafeBytes { Array($0) })
    }

    /// A U8 tensor.
    public init(uint8s: [UInt8], shape: [Int]) throws {
        try self.init(dtype: .u8, shape: shape, bytes: uint8s)
    }

    /// The values as Float32: exact for F32, F16, BF16; F64 is rounded. Integer types are refused
    /// (use `int32s()`), so a label tensor is never silently read as weights.
    public func floats() throws -> [Float] {
        switch dtype {
        case .f32: return loadAll(Float.self)
        case .f16: return loadAll(UInt16.self).map(HalfFloat.float(fromF16:))
        case .bf16: return loadAll(UInt16.self).map(HalfFloat.float(fromBF16:))
        case .f64: return loadAll(Double.self).map { Float($0) }
        default: throw ComputeError.dtypeMismatch("\(dtype.rawValue) tensor read as floats; use int32s()")
        }
    }

    /// The values as Int32: I32 directly; U8, I8, I16, U16 widened; I64, U32, U64 checked.
    public func int32s() throws -> [Int32] {
        func narrow<T: BinaryInteger>(_ values: [T]) throws -> [Int32] {
            try values.map {
                guard let v = Int32(exactly: $0) else {
                    throw ComputeError.indexOutOfRange("\(dtype.rawValue) value \($0) does not fit in Int32")
                }
                return v
            }
        }
        switch dtype {
        case .i32: return loadAll(Int32.self)
        case .u8, .bool: return bytes.map { Int32($0) }
        case .i8: return bytes.map { Int32(Int8(bitPattern: $0)) }
        case .i16: return loadAll(Int16.self).map { Int32($0) }
        case .u16: return loadAll(UInt16.self).map { Int32($0) }
        case .u32: return try narrow(loadAll(UInt32.self))
        case .i64: return try narrow(loadAll(Int64.self))
        case .u64: return try narrow(loadAll(UInt64.self))
        default: throw ComputeError.dtypeMismatch("\(dtype.rawValue) tensor read as integers; use floats()")
        }
    }

    /// The values as Int64 (any integer type; U64 values above Int64.max are refused).
    public func int64s() throws -> [Int64] {
        switch dtype {
        case .i64: return loadAll(Int64.self)
        case .u64:
            return try loadAll(UInt64.self).map {
                guard let v = Int64(exactly: $0) else {
                    throw ComputeError.indexOutOfRange("U64 value \($0) does not fit in Int64")
                }
                return v
            }
        default: return try int32s().map { Int64($0) }
        }
    }

    /// Reinterprets the little-endian bytes as `T` values (alignment-safe copy).
    private func loadAll<T: FixedWidthInteger>(_: T.Type) -> [T] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
    }

    private func loadAll(_: Float.Type) -> [Float] {
        loadAll(UInt32.self).map { Float(bitPattern: $0) }
    }

    private func loadAll(_: Double.Type) -> [Double] {
        loadAll(UInt64.self).map { Double(bitPattern: $0) }
    }

    /// shape × dtype size in bytes, nil on overflow.
    static func byteLength(_ shape: [Int], _ dtype: SafeTensorDType) -> Int? {
        var n = dtype.byteSize
        for d in shape {
            let (product, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = product
        }
        return n
    }
}

/// A set of named tensors plus string metadata: the content of one `.safetensors` file.
///
/// File layout: an 8-byte little-endian header length N, N bytes of JSON header
/// `{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...}`
/// padded with spaces to a multiple of 8, then the tensor bytes (offsets count from the start of
/// the data). `encoded()` writes exactly what the Python `safetensors` package writes for the same
/// tensors (tensors ordered by dtype, largest type first, then by name), except that metadata keys
/// are sorted (Python's order is a hash order), so files with at most one metadata key match byte
/// for byte. Reading (`SafeTensors.read`, in SafeTensorsDecoding.swift) validates every field.
public struct SafeTensors: Sendable, Equatable {
    public var tensors: [String: SafeTensor]
    /// The `__metadata__` object; nil when the file has none (an empty dictionary writes `{}`).
    public var metadata: [String: String]?

    public init(tensors: [String: SafeTensor] = [:], metadata: [String: String]? = nil) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> SafeTensor? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    /// The tensor names in file order.
    public var namesInLayoutOrder: [String] {
        tensors.keys.sorted { a, b in
            let ra = tensors[a]!.dtype.layoutRank, rb = tensors[b]!.dtype.layoutRank
            if ra != rb { return ra > rb }
            return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
    }

    /// The complete file content.
    public func encoded() -> [UInt8] {
        let header = encodedHeader()
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + tensors.values.reduce(0) { $0 + $1.bytes.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in namesInLayoutOrder { out.append(contentsOf: tensors[name]!.bytes) }
        return out
    }

    /// The JSON header, padded with spaces to a multiple of 8 bytes.
    func encodedHeader() -> [UInt8] {
        var json = CompactJSONWriter()
        json.raw("{")
        var first = true
        if let metadata {
            json.string("__metadata__")
            json.raw(":{")
            for (i, key) in metadata.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
                if i > 0 { json.raw(",") }
                json.string(key)
                json.raw(":")
                json.string(metadata[key]!)
            }
            json.raw("}")
            first = false
        }
        var offset = 0
        for name in namesInLayoutOrder {
            let tensor = tensors[name]!
            if !first { json.raw(",") }
            first = false
            json.string(name)
            json.raw(":{\"dtype\":")
            json.string(tensor.dtype.rawValue)
            json.raw(",\"shape\":")
            json.integers(tensor.shape)
            json.raw(",\"data_offsets\":")
            json.integers([offset, offset + tensor.bytes.count])
            json.raw("}")
            offset += tensor.bytes.count
        }
        json.raw("}")
        var header = json.bytes
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))
        return header
    }

    /// Writes the file atomically (see `AtomicFile`): a previous file at `path` survives any failure.
    public func write(to path: String) throws {
        let header = encodedHeader()
        try AtomicFile.write(to: path) { out in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try out.write($0) }
            try out.write(header)
            for name in namesInLayoutOrder { try out.write(tensors[name]!.bytes) }
        }
    }
}
