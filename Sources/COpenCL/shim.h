#ifndef LATENT_COPENCL_SHIM_H
#define LATENT_COPENCL_SHIM_H
// OpenCL 1.2 is what PoCL, NVIDIA, AMD and Intel all provide; newer calls are not used.
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#endif
