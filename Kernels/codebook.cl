// Nearest-codebook search (vector quantisation). Semantics: FusedKernels.swift.
// Built with -DDIM=<D> and -DCODE_TILE=<n>. x [N, D], codebook [K, D], norms [K] (scratch: ‖e‖²),
// indices [N] (int), distances [N]. Each row minimises ‖e‖² − 2·x·e over the codes (lowest index on
// ties, strict < in ascending order); the winner's distance is recomputed as Σ(x − e)² (never < 0).
// No N×K matrix: each work-item keeps only its running best.

#ifndef DIM
#define DIM 64
#endif
#ifndef CODE_TILE
#define CODE_TILE 32
#endif

// norms[c] = ‖e_c‖². Range (K).
__kernel void code_norms(const __global float* codebook, __global float* norms, const int codes) {
    const int c = get_global_id(0);
    if (c >= codes) return;
    float t = 0.0f;
    for (int d = 0; d < DIM; ++d) t = fma(codebook[(size_t)c * DIM + d], codebook[(size_t)c * DIM + d], t);
    norms[c] = t;
}

inline void nearest_finish(const float* xs, const __global float* codebook, const int best_index,
                           __global int* indices, __global float* distances, const int i) {
    const int c = max(best_index, 0);  // NaN scores never win: fall back to code 0
    float t = 0.0f;
    for (int d = 0; d < DIM; ++d) {
        const float diff = xs[d] - codebook[(size_t)c * DIM + d];
        t = fma(diff, diff, t);
    }
    indices[i] = c;
    distances[i] = t;
}

// CPU devices (PoCL): explicit SIMD instead of work-item vectorisation. et is the codebook transposed
// [D, kpad] (kpad = K rounded up to 16, padding codes 0) and norms [kpad] has +INF for padding codes.
// Each work-item takes 4 rows and walks the codes 16 at a time with float16 accumulators
// (a 4×16 register tile of dot products); per row and lane it keeps the best score and its index.
// Range (ceil(N / 4)).
__kernel void codebook_transpose(const __global float* codebook, __global float* et, __global float* norms,
                                 const int codes, const int kpad) {
    const int c = get_global_id(0);
    if (c >= kpad) return;
    float t = 0.0f;
    for (int d = 0; d < DIM; ++d) {
        const float e = c < codes ? codebook[(size_t)c * DIM + d] : 0.0f;
        et[(size_t)d * kpad + c] = e;
        t = fma(e, e, t);
    }
    norms[c] = c < codes ? t : INFINITY;
}

inline int nearest_lane_winner(const float16 best, const int16 index) {
    float b[16];
    int ix[16];
    vstore16(best, 0, b);
    vstore16(index, 0, ix);
    float value = INFINITY;
    int winner = -1;
    for (int l = 0; l < 16; ++l) {
        if (b[l] < value || (b[l] == value && ix[l] < winner)) {
            value = b[l];
            winner = ix[l];
        }
    }
    return winner;
}

__kernel void nearest_code_rows(const __global float* x, const __global float* codebook, const __global float* et,
                                const __global float* norms, __global int* indices, __global float* distances,
                                const int count, const int kpad) {
    const int i0 = get_global_id(0) * 4;
    if (i0 >= count) return;
    const __global float* x0 = x + (size_t)i0 * DIM;
    const __global float* x1 = x + (size_t)min(i0 + 1, count - 1) * DIM;
    const __global float* x2 = x + (size_t)min(i0 + 2, count - 1) * DIM;
    const __global float* x3 = x + (size_t)min(i0 + 3, count - 1) * DIM;
    float16 b0 = (float16)(INFINITY), b1 = b0, b2 = b0, b3 = b0;
    int16 k0 = (int16)(-1), k1 = k0, k2 = k0, k3 = k0;
    const int16 lanes = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int c0 = 0; c0 < kpad; c0 += 16) {
        float16 a0 = (float16)(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < DIM; ++d) {
            const float16 e = vload16(0, et + (size_t)d * kpad + c0);
            a0 = fma((float16)(x0[d]), e, a0);
            a1 = fma((float16)(x1[d]), e, a1);
            a2 = fma((float16)(x2[d]), e, a2);
            a3 = fma((float16)(x3[d]), e, a3);
        }
        const float16 n = vload16(0, norms + c0);
        const int16 code = lanes + c0;
        // Strict <: within a lane codes only grow, so the first minimum stays.
        float16 s = fma((float16)(-2.0f), a0, n);
        int16 better = isless(s, b0);
        b0 = select(b0, s, better); k0 = select(k0, code, better);
        s = fma((float16)(-2.0f), a1, n); better = isless(s, b1);
        b1 = select(b1, s, better); k1 = select(k1, code, better);
        s = fma((float16)(-2.0f), a2, n); better = isless(s, b2);
        b2 = select(b2, s, better); k2 = select(k2, code, better);
        s = fma((float16)(-2.0f), a3, n); better = isless(s, b3);
        b3 = select(b3, s, better); k3 = select(k3, code, better);
    }
    float xs[DIM];
    for (int d = 0; d < DIM; ++d) xs[d] = x0[d];
    nearest_finish(xs, codebook, nearest_lane_winner(b0, k0), indices, distances, i0);
    if (i0 + 1 < count) {
        for (int d = 0; d < DIM; ++d) xs[d] = x1[d];
        nearest_finish(xs, codebook, nearest_lane_winner(b1, k1), indices, distances, i0 + 1);
    }
    if (i0 + 2 < count) {
        for (int d = 0; d < DIM; ++d) xs[d] = x2[d];
        nearest_finish(xs, codebook, nearest_lane_winner(b2, k2), indices, distances, i0 + 2);
    }
    if (i0 + 3 < count) {
        for (int d = 0; d < DIM; ++d) xs[d] = x3[d];
        nearest_finish(xs, codebook, nearest_lane_winner(b3, k3), indices, distances, i0 + 3);
    }
}

// GPUs: work-groups of rows share tiles of CODE_TILE codes in local memory (tile: CODE_TILE·DIM).
// Range (N rounded up to the work-group size).
__kernel void nearest_code_tiled(const __global float* x, const __global float* codebook,
                                 const __global float* norms, __global int* indices, __global float* distances,
                                 const int count, const int codes, __local float* tile) {
    const int i = get_global_id(0);
    const bool active = i < count;
    float xs[DIM];
    for (int d = 0; d < DIM; ++d) xs[d] = active ? x[(size_t)i * DIM + d] : 0.0f;
    float best = INFINITY;
    int best_index = -1;
    for (int c0 = 0; c0 < codes; c0 += CODE_TILE) {
        const int n = min(CODE_TILE, codes - c0);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int idx = get_local_id(0); idx < n * DIM; idx += get_local_size(0))
            tile[idx] = codebook[(size_t)c0 * DIM + idx];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int t = 0; t < n; ++t) {
            float dot = 0.0f;
            for (int d = 0; d < DIM; ++d) dot = fma(xs[d], tile[t * DIM + d], dot);
            const float score = fma(-2.0f, dot, norms[c0 + t]);
            if (score < best) {
                best = score;
                best_index = c0 + t;
            }
        }
    }
    if (active) nearest_finish(xs, codebook, best_index, indices, distances, i);
}
