func notImplemented(_ kernel: String, _ backend: String) -> ComputeError {
    .invalidArgument("\(kernel) is not implemented on the \(backend) backend yet")
}
