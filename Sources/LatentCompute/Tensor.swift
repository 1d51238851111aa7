/// An N-dimensional, contiguous, row-major array that lives on one device.
///
/// A tensor never moves implicitly: `to(_:)` copies it to another device, and `toArray()` reads it
/// back to the host (waiting for queued work). Operations (TensorOps.swift) allocate their result on
/// the tensor's device and call that device's kernels.
public final class Tensor: Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let dtype: DType
    public let device: any Device
    package let buffer: any DeviceBuffer
    /// True for parameters (leaves whose gradient is wanted) and for results computed from them
    /// while gradients are recorded.
    public let requiresGrad: Bool
    /// How this tensor was computed, for `backward()`; nil for leaves and untracked results.
    public let gradFunction: GradFunction?

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
    public var description: String { "Tensor(\(shape), \(dtype), \(device.name))" }

    /// Wraps an existing buffer; `buffer` must hold at least count·byteSize bytes.
    package init(
        shape: [Int], dtype: DType = .float32, device: any Device, buffer: any DeviceBuffer,
        requiresGrad: Bool = false, gradFunction: GradFunction? = nil
    ) {
        precondition(buffer.byteCount >= shape.reduce(1, *) * dtype.byteSize, "buffer too small for \(shape)")
        self.shape = shape
        self.dtype = dtype
        self.device = device
        self.buffer = buffer
        self.requiresGrad = requiresGrad || gradFunction != nil
        self.gradFunction = gradFunction
    }

    /// An uninitialised tensor.
    public static func empty(_ shape: [Int], dtype: DType = .float32, on device: any Device) throws -> Tensor {
        try validate(shape)
        let bytes = Swift.max(1, shape.reduce(1, *)) * dtype.byteSize
        return Tensor(shape: shape, dtype: dtype, device: device, buffer: try device.makeBuffer(byteCount: bytes))
    }

    public static func zeros(_ shape: [Int], on device: any Device) throws -> Tensor {
        try full(shape, value: 0, on: device)
    }

    public static func full(_ shape: [Int], value: Float, on device: any Device) throws -> Tensor {
        let t = try empty(shape, on: device)
        try device.fill(t.buffer, count: t.count, value: value)
        return t
    }

    /// Uploads host values.
    public convenience init(_ values: [Float], shape: [Int], on device: any Device) throws {
        try Tensor.validate(shape)
        guard values.count == shape.reduce(1, *) else {
            throw ComputeError.shapeMismatch("\(values.count) values for shape \(shape)")
        }
        let buffer = try device.makeBuffer(byteCount: Swift.max(1, values.count) * 4)
        try values.withUnsafeBytes { try device.write($0, to: buffer, byteOffset: 0) }
        self.init(shape: shape, dtype: .float32, device: device, buffer: buffer)
    }

    /// Uploads host Int32 values (indices, labels).
    public convenience init(indices values: [Int32], shape: [Int], on device: any Device) throws {
        try Tensor.validate(shape)
        guard values.count == shape.reduce(1, *) else {
            throw ComputeError.shapeMismatch("\(values.count) indices for shape \(shape)")
        }
        let buffer = try device.makeBuffer(byteCount: Swift.max(1, values.count) * 4)
        try values.withUnsafeBytes { try device.write($0, to: buffer, byteOffset: 0) }
        self.init(shape: shape, dtype: .int32, device: device, buffer: buffer)
    }

    /// Reads the values back to the host (waits for queued work). Float32 tensors only.
    public func toArray() throws -> [Float] {
        guard dtype == .float32 else { throw ComputeError.dtypeMismatch("toArray() on a \(dtype) tensor; use toIndices()") }
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBytes { try device.read(buffer, byteOffset: 0, into: $0) }
        return values
    }

    /// Reads Int32 values back to the host.
    public func toIndices() throws -> [Int32] {
        guard dtype == .int32 else { throw ComputeError.dtypeMismatch("toIndices() on a \(dtype) tensor; use toArray()") }
        var values = [Int32](repeating: 0, count: count)
        try values.withUnsafeMutableBytes { try device.read(buffer, byteOffset: 0, into: $0) }
        return values
    }

    /// The single value of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else { throw ComputeError.shapeMismatch("item() needs one element, tensor has shape \(shape)") }
        return try toArray()[0]
    }

    /// A copy on another device (through the host; same device returns self).
    public func to(_ other: any Device) throws -> Tensor {
        if other === device { return self }
        let t = try Tensor.empty(shape, dtype: dtype, on: other)
        var bytes = [UInt8](repeating: 0, count: count * dtype.byteSize)
        try bytes.withUnsafeMutableBytes { try device.read(buffer, byteOffset: 0, into: $0) }
        try bytes.withUnsafeBytes { try other.write($0, to: t.buffer, byteOffset: 0) }
        return t
    }

    /// The same data under another shape with the same element count (shares the buffer).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw ComputeError.shapeMismatch("cannot reshape \(shape) to \(newShape)")
            }
            resolved[hole] = count / known
        }
        try Tensor.validate(resolved)
        guard resolved.reduce(1, *) == count else {
            throw ComputeError.shapeMismatch("cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        let view = Tensor(shape: resolved, dtype: dtype, device: device, buffer: buffer)
        let inputShape = shape
        return Tensor.record(view, "reshape", [self]) { g in [try g.reshaped(inputShape)] }
    }

    static func validate(_ shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ComputeError.shapeMismatch("negative dimension in \(shape)") }
    }
}
