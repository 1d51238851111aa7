// PLACEHOLDER: the random family registers its kernels here.
extension KernelRegistry {
    public static var randomKernels: [KernelSpec] { [] }
}
