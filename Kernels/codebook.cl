// Nearest-codebook search (vector quantisation). Semantics: TrainingKernels.swift.
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

// CPU devices: one work-item per row, codes streamed from global memory. Range (N).
__kernel void nearest_code_rows(const __global float* x, const __global float* codebook,
                                const __global float* norms, __global int* indices, __global float* distances,
                                const int count, const int codes) {
    const int i = get_global_id(0);
    if (i >= count) return;
    float xs[DIM];
    for (int d = 0; d < DIM; ++d) xs[d] = x[(size_t)i * DIM + d];
    float best = INFINITY;
    int best_index = -1;
    for (int c = 0; c < codes; ++c) {
        const __global float* e = codebook + (size_t)c * DIM;
        float dot = 0.0f;
        for (int d = 0; d < DIM; ++d) dot = fma(xs[d], e[d], dot);
        const float score = fma(-2.0f, dot, norms[c]);
        if (score < best) {
            best = score;
            best_index = c;
        }
    }
    nearest_finish(xs, codebook, best_index, indices, distances, i);
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
