// Noise kernels: Philox4x32-10 words turned into uniform and normal Float32 values.
// Bit-identical twin of Sources/LatentCompute/Random/{Philox,NoiseSampler,NoiseMath}.swift: every
// floating-point expression below has the same operations in the same association as the Swift
// code, uses only +, -, *, fma() and integer bit manipulation (no libm, no division, no hardware sqrt).
//
// Why both explicit fma() and FP_CONTRACT OFF: every multiply-add is written as fma(), which OpenCL
// requires to be correctly rounded, so it rounds once on every device whether or not the compiler
// contracts; no plain a * b + c is left for a compiler to fuse. Some GPU compilers contract despite
// the pragma, so bit-identity must not rest on it; it stays off so that an expression added later
// without fma() is not silently fused on the compilers that do honour it.
//
// Element e = offset + i (64-bit) uses Philox block e / 4, lane e % 4, with
// counter = (block_lo, block_hi, 0, 0) and key = (seed_lo, seed_hi); Philox4x32-10 itself is in
// Kernels/common.cl.
#pragma OPENCL FP_CONTRACT OFF

inline uint lane_word(uint4 w, uint lane) {
    return lane == 0u ? w.s0 : lane == 1u ? w.s1 : lane == 2u ? w.s2 : w.s3;
}

// Natural log of a positive normal float: a = 2^e m, m in [sqrt(1/2), sqrt(2)), ln a = e ln2 + f L(f).
inline float noise_log(float a) {
    uint bits = as_uint(a);
    int e = (int)(bits >> 23) - 127;
    bits = (bits & 0x007FFFFFu) | 0x3F800000u;
    if (bits > 0x3FB504F3u) {
        bits -= 0x00800000u;
        e += 1;
    }
    float f = as_float(bits) - 1.0f;
    float l = 0x1.6626eap-4f;
    l = fma(f, l, -0x1.26729ep-3f);
    l = fma(f, l, 0x1.32285p-3f);
    l = fma(f, l, -0x1.5329bep-3f);
    l = fma(f, l, 0x1.98b80ap-3f);
    l = fma(f, l, -0x1.0005a6p-2f);
    l = fma(f, l, 0x1.55579p-2f);
    l = fma(f, l, -0x1.fffff8p-2f);
    l = fma(f, l, 0x1p0f);
    return fma((float)e, 0x1.62e43p-1f, f * l);
}

// Square root of a >= 0: bit-trick 1/sqrt guess, four Newton steps y (1.5 - (h y) y), then a * y.
inline float noise_sqrt(float a) {
    float y = as_float(0x5F3759DFu - (as_uint(a) >> 1));
    float h = 0.5f * a;
    y = y * fma(-(h * y), y, 1.5f);
    y = y * fma(-(h * y), y, 1.5f);
    y = y * fma(-(h * y), y, 1.5f);
    y = y * fma(-(h * y), y, 1.5f);
    return a * y;
}

// sin (odd lanes) or cos (even lanes) of 2 pi w 2^-24 for a 24-bit integer w.
inline float noise_sincos(uint w, uint want_sin) {
    uint n = (w + 0x200000u) >> 22;
    float x = (float)((int)w - (int)(n << 22)) * 0x1p-22f;
    float x2 = x * x;
    float s = 0x1.4be288p-13f;
    s = fma(x2, s, -0x1.32cb0ep-8f);
    s = fma(x2, s, 0x1.466bbcp-4f);
    s = fma(x2, s, -0x1.4abbcep-1f);
    s = fma(x2, s, 0x1.921fb6p0f);
    s = x * s;
    float c = -0x1.a0f316p-16f;
    c = fma(x2, c, 0x1.e1e7eep-11f);
    c = fma(x2, c, -0x1.55d3bap-6f);
    c = fma(x2, c, 0x1.03c1fp-2f);
    c = fma(x2, c, -0x1.3bd3ccp0f);
    c = fma(x2, c, 0x1p0f);
    uint q = n & 3u;
    float sine = q == 0u ? s : q == 1u ? c : q == 2u ? -s : -c;
    float cosine = q == 0u ? c : q == 1u ? -s : q == 2u ? -c : s;
    return want_sin ? sine : cosine;
}

__kernel void random_uniform(__global float* out, const uint count, const uint seed_lo, const uint seed_hi,
                             const uint offset_lo, const uint offset_hi) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    ulong e = (((ulong)offset_hi << 32) | (ulong)offset_lo) + (ulong)i;
    uint4 w = philox_words(seed_lo, seed_hi, e >> 2);
    out[i] = (float)(lane_word(w, (uint)(e & 3ul)) >> 8) * 0x1p-24f;
}

__kernel void random_normal(__global float* out, const uint count, const uint seed_lo, const uint seed_hi,
                            const uint offset_lo, const uint offset_hi, const float mean, const float std_) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    ulong e = (((ulong)offset_hi << 32) | (ulong)offset_lo) + (ulong)i;
    uint4 w = philox_words(seed_lo, seed_hi, e >> 2);
    uint lane = (uint)(e & 3ul);
    uint pair = lane >> 1;
    uint a = pair == 0u ? w.s0 : w.s2;
    uint b = pair == 0u ? w.s1 : w.s3;
    float u1 = (float)((a >> 8) + 1u) * 0x1p-24f;
    float r = noise_sqrt(-2.0f * noise_log(u1));
    float z = r * noise_sincos(b >> 8, lane & 1u);
    out[i] = fma(std_, z, mean);
}
