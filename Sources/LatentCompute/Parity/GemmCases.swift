// PLACEHOLDER: the gemm family registers its kernels here.
extension KernelRegistry {
    public static var gemmKernels: [KernelSpec] { [] }
}
