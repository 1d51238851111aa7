// Gaussian-mixture kernels (diagonal covariances). Semantics: FusedKernels.swift. All use explicit
// differences x − μ where a mean enters (the expanded x²p − 2xμp + μ²p cancels in float), 8 features
// at a time. All run on 1-D ranges with explicit work-groups (see OpenCL/OpenCLMixture.swift).

inline float mixture_sum8(const float8 v) {
    const float4 h = v.lo + v.hi;
    return (h.x + h.y) + (h.z + h.w);
}

// out[n, k] = offsets[k] − ½·Σ_d p[k, d]·(x[n, d] − μ[k, d])² for the 4 rows from i0 (i0 < count): the
// components are walked once, so μ and p are loaded once for 4 rows.
inline void mixture_log_density4(const __global float* x, const __global float* means, const __global float* precisions,
                                 const __global float* offsets, __global float* out, const int count, const int components,
                                 const int dim, const int i0) {
    const __global float* x0 = x + (size_t)i0 * dim;
    const __global float* x1 = x + (size_t)min(i0 + 1, count - 1) * dim;
    const __global float* x2 = x + (size_t)min(i0 + 2, count - 1) * dim;
    const __global float* x3 = x + (size_t)min(i0 + 3, count - 1) * dim;
    for (int k = 0; k < components; ++k) {
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
}

// One work-item per 4 rows. Range (ceil(N / 4)), rounded up to the work-group size: PoCL picks tiny
// work-groups for a 2-D range of (row blocks, components), whose overhead cost 10x in time.
__kernel void gaussian_log_density(const __global float* x, const __global float* means,
                                   const __global float* precisions, const __global float* offsets,
                                   __global float* out, const int count, const int components, const int dim) {
    const int i0 = get_global_id(0) * 4;
    if (i0 >= count) return;
    mixture_log_density4(x, means, precisions, offsets, out, count, components, dim, i0);
}

// The E-step in one launch: the log-densities of 4 rows as above, then, on the work-item's own
// rows, loglik[n] = m + log Σ_k exp(l[n, k] − m) (m the row maximum) and the responsibilities
// out[n, k] = exp(l[n, k] − m) / Σ_k exp(l[n, k] − m), as the CPU twin. The 4 rows are the lanes of
// a float4, so each component takes one vector exp instead of four scalar ones (PoCL, N60000 K10 D16:
// 6.6 → 2.7 ms, loaded machine). A lane past the last row repeats it and is never written.
__kernel void gaussian_responsibilities(const __global float* x, const __global float* means,
                                        const __global float* precisions, const __global float* offsets,
                                        __global float* out, __global float* loglik, const int count,
                                        const int components, const int dim) {
    const int i0 = get_global_id(0) * 4;
    if (i0 >= count) return;
    mixture_log_density4(x, means, precisions, offsets, out, count, components, dim, i0);
    const int rows = min(4, count - i0);
    __global float* r0 = out + (size_t)i0 * components;
    __global float* r1 = out + (size_t)min(i0 + 1, count - 1) * components;
    __global float* r2 = out + (size_t)min(i0 + 2, count - 1) * components;
    __global float* r3 = out + (size_t)min(i0 + 3, count - 1) * components;
    float4 m = (float4)(r0[0], r1[0], r2[0], r3[0]);
    for (int k = 1; k < components; ++k) m = fmax(m, (float4)(r0[k], r1[k], r2[k], r3[k]));
    float4 sum = (float4)(0.0f);
    for (int k = 0; k < components; ++k) {
        const float4 e = exp((float4)(r0[k], r1[k], r2[k], r3[k]) - m);
        sum += e;
        r0[k] = e.x;
        if (rows > 1) r1[k] = e.y;
        if (rows > 2) r2[k] = e.z;
        if (rows > 3) r3[k] = e.w;
    }
    const float4 total = m + log(sum), scale = 1.0f / sum;
    loglik[i0] = total.x;
    if (rows > 1) loglik[i0 + 1] = total.y;
    if (rows > 2) loglik[i0 + 2] = total.z;
    if (rows > 3) loglik[i0 + 3] = total.w;
    for (int k = 0; k < components; ++k) {
        r0[k] *= scale.x;
        if (rows > 1) r1[k] *= scale.y;
        if (rows > 2) r2[k] *= scale.z;
        if (rows > 3) r3[k] *= scale.w;
    }
}

#define MIXTURE_SLAB 256

// Components go in groups of 4 per pass over a slab, so each 8 features of a row are loaded once per
// group rather than once per component; in the last group a component past K repeats the group's
// first (its weights and mean) and is never stored, which keeps the row loop free of branches.
inline int mixture_group_member(const int k0, const int j, const int components) {
    return k0 + j < components ? k0 + j : k0;
}

// The scatter's first stage: partial[s, k, d] = Σ_{n in slab s} w[n, k]·(x[n, d] − μ[k, d])² over slabs
// of 256 rows; each work-item takes 8 features of one slab and walks the components in groups of 4
// (its 256 × 8 block of x, 256 cache lines, stays in L1). Walking all rows per (feature, component) instead read x
// column-wise, a new cache line and often a new page per row: 10x slower. The slabs are then summed
// by `reduce`. Range (ceil(D / 8)·ceil(N / 256)), rounded up to the work-group size.
__kernel void gaussian_scatter_slabs(const __global float* x, const __global float* weights, const __global float* means,
                                     __global float* partial, const int count, const int components, const int dim) {
    const int chunks = (dim + 7) / 8, slabs = (count + MIXTURE_SLAB - 1) / MIXTURE_SLAB;
    const int i = get_global_id(0);
    if (i >= chunks * slabs) return;
    const int d0 = (i % chunks) * 8, s = i / chunks;
    const int n0 = s * MIXTURE_SLAB, end = min(count, n0 + MIXTURE_SLAB);
    if (d0 + 8 <= dim) {
        for (int k0 = 0; k0 < components; k0 += 4) {
            const int c0 = k0, c1 = mixture_group_member(k0, 1, components);
            const int c2 = mixture_group_member(k0, 2, components), c3 = mixture_group_member(k0, 3, components);
            const float8 m0 = vload8(0, means + (size_t)c0 * dim + d0), m1 = vload8(0, means + (size_t)c1 * dim + d0);
            const float8 m2 = vload8(0, means + (size_t)c2 * dim + d0), m3 = vload8(0, means + (size_t)c3 * dim + d0);
            float8 a0 = (float8)(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int n = n0; n < end; ++n) {
                const float8 v = vload8(0, x + (size_t)n * dim + d0);
                const __global float* w = weights + (size_t)n * components;
                const float8 t0 = v - m0, t1 = v - m1, t2 = v - m2, t3 = v - m3;
                a0 = fma(t0 * w[c0], t0, a0);
                a1 = fma(t1 * w[c1], t1, a1);
                a2 = fma(t2 * w[c2], t2, a2);
                a3 = fma(t3 * w[c3], t3, a3);
            }
            __global float* target = partial + ((size_t)s * components + k0) * dim + d0;
            vstore8(a0, 0, target);
            if (k0 + 1 < components) vstore8(a1, 0, target + dim);
            if (k0 + 2 < components) vstore8(a2, 0, target + 2 * dim);
            if (k0 + 3 < components) vstore8(a3, 0, target + 3 * dim);
        }
        return;
    }
    for (int k = 0; k < components; ++k) {
        __global float* target = partial + ((size_t)s * components + k) * dim + d0;
        for (int d = d0; d < dim; ++d) {
            const float m = means[(size_t)k * dim + d];
            float acc = 0.0f;
            for (int n = n0; n < end; ++n) {
                const float t = x[(size_t)n * dim + d] - m;
                acc = fma(t * weights[(size_t)n * components + k], t, acc);
            }
            target[d - d0] = acc;
        }
    }
}

// The moments' first stage: partial[s, k, d] = Σ_{n in slab s} w[n, k]·x[n, d] for d < dim and
// partial[s, k, dim] = Σ_{n in slab s} w[n, k], over slabs of 256 rows; the work-items are laid out
// as the scatter's (8 features of one slab, components in groups of 4; the first chunk also sums the
// weights). The slabs are then summed by `reduce`. As a GEMM (K × N by N × D) the same sums run on a
// handful of work-items that each walk all N rows. Range (ceil(D / 8)·ceil(N / 256)), rounded up.
__kernel void gaussian_moments_slabs(const __global float* x, const __global float* weights, __global float* partial,
                                     const int count, const int components, const int dim) {
    const int chunks = max(1, (dim + 7) / 8), slabs = (count + MIXTURE_SLAB - 1) / MIXTURE_SLAB;
    const int i = get_global_id(0);
    if (i >= chunks * slabs) return;
    const int d0 = (i % chunks) * 8, s = i / chunks;
    const int n0 = s * MIXTURE_SLAB, end = min(count, n0 + MIXTURE_SLAB);
    const size_t row = (size_t)dim + 1;
    if (d0 + 8 <= dim) {
        for (int k0 = 0; k0 < components; k0 += 4) {
            const int c1 = mixture_group_member(k0, 1, components);
            const int c2 = mixture_group_member(k0, 2, components), c3 = mixture_group_member(k0, 3, components);
            float8 a0 = (float8)(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int n = n0; n < end; ++n) {
                const float8 v = vload8(0, x + (size_t)n * dim + d0);
                const __global float* w = weights + (size_t)n * components;
                a0 = fma((float8)(w[k0]), v, a0);
                a1 = fma((float8)(w[c1]), v, a1);
                a2 = fma((float8)(w[c2]), v, a2);
                a3 = fma((float8)(w[c3]), v, a3);
            }
            __global float* target = partial + ((size_t)s * components + k0) * row + d0;
            vstore8(a0, 0, target);
            if (k0 + 1 < components) vstore8(a1, 0, target + row);
            if (k0 + 2 < components) vstore8(a2, 0, target + 2 * row);
            if (k0 + 3 < components) vstore8(a3, 0, target + 3 * row);
        }
    } else {
        for (int k = 0; k < components; ++k) {
            __global float* target = partial + ((size_t)s * components + k) * row;
            for (int d = d0; d < dim; ++d) {
                float acc = 0.0f;
                for (int n = n0; n < end; ++n) acc = fma(weights[(size_t)n * components + k], x[(size_t)n * dim + d], acc);
                target[d] = acc;
            }
        }
    }
    if (d0 == 0) {
        for (int k = 0; k < components; ++k) {
            float total = 0.0f;
            for (int n = n0; n < end; ++n) total += weights[(size_t)n * components + k];
            partial[((size_t)s * components + k) * row + dim] = total;
        }
    }
}
