/// Conversions between device `Tensor`s and host `SafeTensor`s (through `toArray()` / the
/// uploading initialisers, so they wait for queued device work).
extension SafeTensor {
    /// Reads a Float32 or Int32 tensor back from its device (F32 / I32).
    public init(_ tensor: Tensor) throws {
        switch tensor.dtype {
        case .float32: try self.init(floats: tensor.toArray(), shape: tensor.shape)
        case .int32: try self.init(int32s: tensor.toIndices(), shape: tensor.shape)
        }
    }

    /// Uploads to `device`: integer dtypes become an Int32 tensor, float dtypes a Float32 tensor.
    public func tensor(on device: any Device) throws -> Tensor {
        switch dtype {
        case .f32, .f16, .bf16, .f64: try Tensor(floats(), shape: shape, on: device)
        default: try Tensor(indices: int32s(), shape: shape, on: device)
        }
    }
}

extension SafeTensors {
    /// Reads named device tensors back to the host (e.g. a model's parameters for a checkpoint).
    public static func host(_ tensors: [String: Tensor]) throws -> [String: SafeTensor] {
        try tensors.mapValues { try SafeTensor($0) }
    }

    /// Uploads every tensor to `device` (integer dtypes as Int32 tensors, float dtypes as Float32).
    public func deviceTensors(on device: any Device) throws -> [String: Tensor] {
        try tensors.mapValues { try $0.tensor(on: device) }
    }
}
