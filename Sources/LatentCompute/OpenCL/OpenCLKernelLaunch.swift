/// One argument of an OpenCL kernel launch, in the kernel's parameter order.
public enum KernelArgument {
    case buffer(any DeviceBuffer)
    case int(Int32)
    case uint(UInt32)
    case float(Float)
    /// An OpenCL `int8` vector argument; fewer than 8 lanes are padded with 0.
    case int8([Int32])
    /// `__local` memory of this many bytes.
    case local(bytes: Int)
}

extension OpenCLDevice {
    /// Enqueues `kernel` from Kernels/<family>.cl (program built on first use with `options`, cached).
    /// `global` sizes must be multiples of `local` when given. A zero-sized global is a no-op.
    /// The call returns without waiting; `read` and `synchronize` wait.
    func launch(family: String, kernel: String, options: String = "", global: [Int], local: [Int]? = nil,
                arguments: [KernelArgument]) throws {
        throw notImplemented("launch \(family).\(kernel)", "opencl")
    }

    /// True on CPU OpenCL devices (PoCL): pick kernel variants that suit CPUs.
    var isCPUDevice: Bool { info.type == "cpu" }
}
