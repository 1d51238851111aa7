// Gaussian-mixture kernels (diagonal covariances). Semantics: FusedKernels.swift. Both use explicit
// differences x − μ (the expanded x²p − 2xμp + μ²p cancels in float), 8 features at a time.

inline float mixture_sum8(const float8 v) {
    const float4 h = v.lo + v.hi;
    return (h.x + h.y) + (h.z + h.w);
}

// out[n, k] = offsets[k] − ½·Σ_d p[k, d]·(x[n, d] − μ[k, d])². Each work-item takes 4 rows of one
// component, so μ and p are loaded once for 4 rows. Range (ceil(N / 4), K).
__kernel void gaussian_log_density(const __global float* x, const __global float* means,
                                   const __global float* precisions, const __global float* offsets,
                                   __global float* out, const int count, const int components, const int dim) {
    const int i0 = get_global_id(0) * 4, k = get_global_id(1);
    if (i0 >= count || k >= components) return;
    const __global float* x0 = x + (size_t)i0 * dim;
    const __global float* x1 = x + (size_t)min(i0 + 1, count - 1) * dim;
    const __global float* x2 = x + (size_t)min(i0 + 2, count - 1) * dim;
    const __global float* x3 = x + (size_t)min(i0 + 3, count - 1) * dim;
    const __global float* mu = means + (size_t)k * dim;
    const __global float* p = precisions + (size_t)k * dim;
    float8 a0 = (float8)(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int d = 0;
    for (; d + 8 <= dim; d += 8) {
        const float8 m = vload8(0, mu + d), w = vload8(0, p + d);
        const float8 t0 = vload8(0, x0 + d) - m, t1 = vload8(0, x1 + d) - m;
        const float8 t2 = vload8(0, x2 + d) - m, t3 = vload8(0, x3 + d) - m;
        a0 = fma(t0 * w, t0, a0);
        a1 = fma(t1 * w, t1, a1);
        a2 = fma(t2 * w, t2, a2);
        a3 = fma(t3 * w, t3, a3);
    }
    float s0 = mixture_sum8(a0), s1 = mixture_sum8(a1), s2 = mixture_sum8(a2), s3 = mixture_sum8(a3);
    for (; d < dim; ++d) {
        const float m = mu[d], w = p[d];
        const float t0 = x0[d] - m, t1 = x1[d] - m, t2 = x2[d] - m, t3 = x3[d] - m;
        s0 = fma(t0 * w, t0, s0);
        s1 = fma(t1 * w, t1, s1);
        s2 = fma(t2 * w, t2, s2);
        s3 = fma(t3 * w, t3, s3);
    }
    const float o = offsets[k];
    __global float* row = out + (size_t)i0 * components + k;
    row[0] = o - 0.5f * s0;
    if (i0 + 1 < count) row[components] = o - 0.5f * s1;
    if (i0 + 2 < count) row[2 * components] = o - 0.5f * s2;
    if (i0 + 3 < count) row[3 * components] = o - 0.5f * s3;
}

// out[k, d] = Σ_n w[n, k]·(x[n, d] − μ[k, d])². Each work-item takes 8 features of one component and
// walks all rows (float sums over blocks of 64 rows, added into a running total, so rounding grows
// with 64 + N/64 terms rather than N); rows of weight 0 are skipped. Range (ceil(D / 8), K).
__kernel void gaussian_scatter(const __global float* x, const __global float* weights, const __global float* means,
                               __global float* out, const int count, const int components, const int dim) {
    const int d0 = get_global_id(0) * 8, k = get_global_id(1);
    if (d0 >= dim || k >= components) return;
    const __global float* mu = means + (size_t)k * dim;
    if (d0 + 8 <= dim) {
        const float8 m = vload8(0, mu + d0);
        float8 total = (float8)(0.0f);
        for (int n0 = 0; n0 < count; n0 += 64) {
            float8 block = (float8)(0.0f);
            const int end = min(count, n0 + 64);
            for (int n = n0; n < end; ++n) {
                const float w = weights[(size_t)n * components + k];
                if (w == 0.0f) continue;
                const float8 t = vload8(0, x + (size_t)n * dim + d0) - m;
                block = fma(t * w, t, block);
            }
            total += block;
        }
        vstore8(total, 0, out + (size_t)k * dim + d0);
        return;
    }
    for (int d = d0; d < dim; ++d) {
        const float m = mu[d];
        float total = 0.0f;
        for (int n0 = 0; n0 < count; n0 += 64) {
            float block = 0.0f;
            const int end = min(count, n0 + 64);
            for (int n = n0; n < end; ++n) {
                const float t = x[(size_t)n * dim + d] - m;
                block = fma(t * weights[(size_t)n * components + k], t, block);
            }
            total += block;
        }
        out[(size_t)k * dim + d] = total;
    }
}
