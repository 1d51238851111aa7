import COpenCL
import Foundation

/// A value guarded by a lock; the OpenCL runtime's shared mutable state lives in these.
final class Locked<State>: @unchecked Sendable {
    private var state: State
    private let lock = NSLock()

    init(_ state: State) { self.state = state }

    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}

/// Owns one OpenCL object (context, queue, program, kernel or buffer) and releases it in deinit.
/// OpenCL objects may be used from any thread (except clSetKernelArg, which callers serialise).
final class CLObject: @unchecked Sendable {
    let raw: OpaquePointer
    private let release: @convention(c) (OpaquePointer?) -> cl_int

    init(_ raw: OpaquePointer, release: @escaping @convention(c) (OpaquePointer?) -> cl_int) {
        self.raw = raw
        self.release = release
    }

    deinit { _ = release(raw) }
}

/// Throws `ComputeError.openCL` naming `call` when `code` is not CL_SUCCESS.
@inline(__always)
func clCheck(_ code: cl_int, _ call: String) throws(ComputeError) {
    if code != CL_SUCCESS { throw .openCL(call: call, code: code) }
}
