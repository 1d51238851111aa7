/// Which implementation runs a device's kernels.
public enum Backend: String, Sendable, CaseIterable {
    case cpu
    case opencl
}

/// Memory owned by one device. Backends downcast to their own buffer class.
public protocol DeviceBuffer: AnyObject, Sendable {
    var byteCount: Int { get }
}

/// A compute device: a runtime (`DeviceRuntime`), the primitive kernels every backend writes
/// (`PrimitiveKernels`) and the fused kernels, which default to compositions of the primitives
/// (`FusedKernels`). Implemented by `CPUDevice` and `OpenCLDevice`; models never see it directly,
/// only `Tensor`, which checks shapes so that kernels can trust their arguments.
public protocol Device: DeviceRuntime, PrimitiveKernels, FusedKernels {}
