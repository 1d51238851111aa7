// Shared by every kernel family: prepended to each Kernels/<family>.cl when its program is built
// (OpenCL/OpenCLPrograms.swift), so these helpers are written once. Only inline functions and
// macros belong here: every program carries them.

// ---------------------------------------------------------------- Philox4x32-10
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// Philox4x32-10 (Salmon et al. 2011).
inline uint4 philox4x32_10(uint4 x, uint2 k) {
    for (int round = 0; round < 10; ++round) {
        uint hi0 = mul_hi(PHILOX_M0, x.s0), lo0 = PHILOX_M0 * x.s0;
        uint hi1 = mul_hi(PHILOX_M1, x.s2), lo1 = PHILOX_M1 * x.s2;
        x = (uint4)(hi1 ^ x.s1 ^ k.s0, lo1, hi0 ^ x.s3 ^ k.s1, lo0);
        k.s0 += PHILOX_W0;
        k.s1 += PHILOX_W1;
    }
    return x;
}

inline uint4 philox_words(uint seed_lo, uint seed_hi, ulong block) {
    return philox4x32_10((uint4)((uint)block, (uint)(block >> 32), 0u, 0u), (uint2)(seed_lo, seed_hi));
}

// ---------------------------------------------------------------- strided index helpers
// Strided kernels run on a 3-D range: id 0 = the last axis, id 1 = the axis before it, id 2 = all
// earlier axes flattened. Shapes and strides come as int8 in reverse axis order (lane 0 = the last
// axis), padded with shape 1 / stride 0, so that every lane access is a constant one.
#define LEAD_AXIS(L)                                              \
    if (rank > L) {                                               \
        const int q = i2 / shape.s##L;                            \
        offset += (i2 - q * shape.s##L) * strides.s##L;           \
        i2 = q;                                                   \
    }
inline int strided_offset(const int8 shape, const int8 strides, const int rank, const int i0, const int i1, int i2) {
    int offset = i0 * strides.s0 + i1 * strides.s1;
    if (rank <= 3) return offset + i2 * strides.s2;
    LEAD_AXIS(2)
    LEAD_AXIS(3)
    LEAD_AXIS(4)
    LEAD_AXIS(5)
    LEAD_AXIS(6)
    LEAD_AXIS(7)
    return offset;
}

inline int contiguous_index(const int8 shape, int i0, int i1, int i2) {
    return (i2 * shape.s1 + i1) * shape.s0 + i0;
}

// ---------------------------------------------------------------- activations shared by families
// SiLU for the elementwise kernels and the fused GroupNorm → SiLU (T: float or floatN).
#define OP_SILU(T, x) ((x) / ((T)(1.0f) + exp(-(x))))

// ---------------------------------------------------------------- product epilogue
// Epilogue (GemmEpilogue in Swift): element (z, i, j) of C becomes
// residual[z·rz + i·ri + j·rj] + (value + bias[z·bz + i·bi + j·bj]), the order of the separate adds it
// replaces. Kernels without one pass has_bias = has_residual = 0 (and any buffer for the pointers).
#define EPILOGUE_PARAMETERS                                                                                  \
    __global const float *bias, int biasZ, int biasI, int biasJ, int has_bias, __global const float *residual, \
        int residualZ, int residualI, int residualJ, int has_residual
#define EPILOGUE_ARGUMENTS bias, biasZ, biasI, biasJ, has_bias, residual, residualZ, residualI, residualJ, has_residual

inline float gemm_epilogue(float v, int z, int i, int j, EPILOGUE_PARAMETERS) {
    if (has_bias) v += bias[(size_t)z * biasZ + (size_t)i * biasI + (size_t)j * biasJ];
    if (has_residual) v = residual[(size_t)z * residualZ + (size_t)i * residualI + (size_t)j * residualJ] + v;
    return v;
}
