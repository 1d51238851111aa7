// PLACEHOLDER: the reduce family registers its kernels here.
extension KernelRegistry {
    public static var reduceKernels: [KernelSpec] { [] }
}
