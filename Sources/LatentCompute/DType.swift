/// Element types a tensor can hold. Every kernel today computes in Float32; Int32 carries indices.
/// Half-precision storage can be added here with its byte size.
public enum DType: String, Sendable {
    case float32
    case int32

    public var byteSize: Int { 4 }
}
