// PLACEHOLDER: the elementwise family registers its kernels here.
extension KernelRegistry {
    public static var elementwiseKernels: [KernelSpec] { [] }
}
