// PLACEHOLDER: the copy family registers its kernels here.
extension KernelRegistry {
    public static var copyKernels: [KernelSpec] { [] }
}
