// Matrix multiply: for each batch z, C_z = alpha·op(A_z)·op(B_z) + beta·C_z, row-major.
// op(A) is m×k (A stored k×m when TRANS_A), op(B) is k×n (B stored n×k when TRANS_B).
// Matrix z of an operand starts at offset + z·stride (stride 0 broadcasts one matrix).
// beta == 0 writes C without reading it (old NaNs are ignored).
//
// Two variants, chosen per device type by OpenCL/OpenCLGemm.swift:
// - sgemm_cpu: for CPU OpenCL devices (PoCL). No local memory, no barriers: each work-item keeps a
//   6×16 block of C in six float16 accumulators and streams a row of A and a 16-wide strip of B.
//   It reads B row-wise only, so the host transposes B into scratch first when TRANS_B.
// - sgemm_tiled: for GPUs. 64×64 tiles of C per 16×16 work-group, 4×4 per work-item, depth steps
//   of 16 staged in local memory.
// Build options: -D TRANS_A=0|1 -D TRANS_B=0|1.

#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

#if TRANS_A
#define A_AT(i, p) a[(size_t)(p) * lda + (i)]
#else
#define A_AT(i, p) a[(size_t)(i) * lda + (p)]
#endif
#if TRANS_B
#define B_AT(p, j) b[(size_t)(j) * ldb + (p)]
#else
#define B_AT(p, j) b[(size_t)(p) * ldb + (j)]
#endif

// ---------------------------------------------------------------------------------------------
// CPU-style: one work-item = rows i0..i0+5, columns j0..j0+15 of one batch matrix.
// global = (ceil(m/6), ceil(n/16), batch).

#define CPU_ROWS 6
#define CPU_COLS 16

#define CPU_STEP(bv, a0, a1, a2, a3, a4, a5) \
    c0 = fma((float16)(a0), bv, c0); \
    c1 = fma((float16)(a1), bv, c1); \
    c2 = fma((float16)(a2), bv, c2); \
    c3 = fma((float16)(a3), bv, c3); \
    c4 = fma((float16)(a4), bv, c4); \
    c5 = fma((float16)(a5), bv, c5);

inline float16 cpu_merge(float16 acc, __global const float* row, float alpha, float beta) {
    return beta == 0.0f ? alpha * acc : fma((float16)(beta), vload16(0, row), alpha * acc);
}

inline void cpu_store_edge(float16 acc, __global float* row, int cols, float alpha, float beta) {
    float values[CPU_COLS];
    vstore16(acc, 0, values);
    for (int j = 0; j < cols; ++j) {
        row[j] = beta == 0.0f ? alpha * values[j] : fma(beta, row[j], alpha * values[j]);
    }
}

__kernel void sgemm_cpu(__global const float* restrict A, __global const float* restrict B,
                        __global float* restrict C, int m, int n, int k, int lda, int ldb,
                        int offsetA, int offsetB, int offsetC, int strideA, int strideB, int strideC,
                        float alpha, float beta) {
    const int i0 = get_global_id(0) * CPU_ROWS;
    const int j0 = get_global_id(1) * CPU_COLS;
    const int z = get_global_id(2);
    if (i0 >= m || j0 >= n) return;
    __global const float* a = A + offsetA + (size_t)z * strideA;
    __global const float* b = B + offsetB + (size_t)z * strideB;
    __global float* c = C + offsetC + (size_t)z * strideC + (size_t)i0 * n + j0;
    const int ldc = n;

    float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    const int rows = min(CPU_ROWS, m - i0);
    const int cols = min(CPU_COLS, n - j0);
    if (rows == CPU_ROWS && cols == CPU_COLS) {
        __global const float* bp = b + j0;
#if TRANS_A
        __global const float* ap = a + i0;
        for (int p = 0; p < k; ++p) {
            const float16 bv = vload16(0, bp);
            CPU_STEP(bv, ap[0], ap[1], ap[2], ap[3], ap[4], ap[5])
            ap += lda;
            bp += ldb;
        }
#else
        __global const float* a0 = a + (size_t)i0 * lda;
        __global const float* a1 = a0 + lda;
        __global const float* a2 = a1 + lda;
        __global const float* a3 = a2 + lda;
        __global const float* a4 = a3 + lda;
        __global const float* a5 = a4 + lda;
        for (int p = 0; p < k; ++p) {
            const float16 bv = vload16(0, bp);
            CPU_STEP(bv, a0[p], a1[p], a2[p], a3[p], a4[p], a5[p])
            bp += ldb;
        }
#endif
        c0 = cpu_merge(c0, c, alpha, beta);
        c1 = cpu_merge(c1, c + ldc, alpha, beta);
        c2 = cpu_merge(c2, c + 2 * ldc, alpha, beta);
        c3 = cpu_merge(c3, c + 3 * ldc, alpha, beta);
        c4 = cpu_merge(c4, c + 4 * ldc, alpha, beta);
        c5 = cpu_merge(c5, c + 5 * ldc, alpha, beta);
        vstore16(c0, 0, c);
        vstore16(c1, 0, c + ldc);
        vstore16(c2, 0, c + 2 * ldc);
        vstore16(c3, 0, c + 3 * ldc);
        vstore16(c4, 0, c + 4 * ldc);
        vstore16(c5, 0, c + 5 * ldc);
        return;
    }

    // Edge block: guarded loads into the same vector arithmetic, zeros outside the matrix.
    for (int p = 0; p < k; ++p) {
        float strip[CPU_COLS];
        for (int j = 0; j < CPU_COLS; ++j) strip[j] = j < cols ? B_AT(p, j0 + j) : 0.0f;
        const float16 bv = vload16(0, strip);
        const float x0 = A_AT(i0, p);
        const float x1 = rows > 1 ? A_AT(i0 + 1, p) : 0.0f;
        const float x2 = rows > 2 ? A_AT(i0 + 2, p) : 0.0f;
        const float x3 = rows > 3 ? A_AT(i0 + 3, p) : 0.0f;
        const float x4 = rows > 4 ? A_AT(i0 + 4, p) : 0.0f;
        const float x5 = rows > 5 ? A_AT(i0 + 5, p) : 0.0f;
        CPU_STEP(bv, x0, x1, x2, x3, x4, x5)
    }
    cpu_store_edge(c0, c, cols, alpha, beta);
    if (rows > 1) cpu_store_edge(c1, c + ldc, cols, alpha, beta);
    if (rows > 2) cpu_store_edge(c2, c + 2 * ldc, cols, alpha, beta);
    if (rows > 3) cpu_store_edge(c3, c + 3 * ldc, cols, alpha, beta);
    if (rows > 4) cpu_store_edge(c4, c + 4 * ldc, cols, alpha, beta);
    if (rows > 5) cpu_store_edge(c5, c + 5 * ldc, cols, alpha, beta);
}

// ---------------------------------------------------------------------------------------------
// GPU-style: a 16×16 work-group computes a 64×64 tile of C; work-item (tx, ty) owns rows
// ty + 16·r and columns tx + 16·s (r, s < 4), so local-memory reads are conflict-free.
// global = (ceil(n/64)·16, ceil(m/64)·16, batch), local = (16, 16, 1).

#define TILE 64
#define TILE_K 16
#define WG 16
#define WPT 4

__kernel __attribute__((reqd_work_group_size(WG, WG, 1)))
void sgemm_tiled(__global const float* restrict A, __global const float* restrict B,
                 __global float* restrict C, int m, int n, int k, int lda, int ldb,
                 int offsetA, int offsetB, int offsetC, int strideA, int strideB, int strideC,
                 float alpha, float beta) {
    __local float As[TILE_K][TILE + 1];
    __local float Bs[TILE_K][TILE + 1];
    const int tx = get_local_id(0);
    const int ty = get_local_id(1);
    const int col0 = get_group_id(0) * TILE;
    const int row0 = get_group_id(1) * TILE;
    const int z = get_global_id(2);
    __global const float* a = A + offsetA + (size_t)z * strideA;
    __global const float* b = B + offsetB + (size_t)z * strideB;
    __global float* c = C + offsetC + (size_t)z * strideC;
    const int lid = ty * WG + tx;

    float acc[WPT][WPT];
    for (int r = 0; r < WPT; ++r)
        for (int s = 0; s < WPT; ++s) acc[r][s] = 0.0f;

    for (int p0 = 0; p0 < k; p0 += TILE_K) {
        // Each of the 256 work-items stages 4 of the 1024 values of each tile; consecutive
        // work-items read consecutive addresses of the operand as it is stored.
        for (int l = 0; l < (TILE * TILE_K) / (WG * WG); ++l) {
            const int e = lid + l * WG * WG;
#if TRANS_A
            const int ai = e % TILE, ap = e / TILE;
#else
            const int ap = e % TILE_K, ai = e / TILE_K;
#endif
            const int gi = row0 + ai, gp = p0 + ap;
            As[ap][ai] = (gi < m && gp < k) ? A_AT(gi, gp) : 0.0f;
#if TRANS_B
            const int bp = e % TILE_K, bj = e / TILE_K;
#else
            const int bj = e % TILE, bp = e / TILE;
#endif
            const int gj = col0 + bj, gq = p0 + bp;
            Bs[bp][bj] = (gj < n && gq < k) ? B_AT(gq, gj) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int q = 0; q < TILE_K; ++q) {
            float av[WPT], bv[WPT];
            for (int r = 0; r < WPT; ++r) av[r] = As[q][ty + r * WG];
            for (int s = 0; s < WPT; ++s) bv[s] = Bs[q][tx + s * WG];
            for (int r = 0; r < WPT; ++r)
                for (int s = 0; s < WPT; ++s) acc[r][s] = fma(av[r], bv[s], acc[r][s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int r = 0; r < WPT; ++r) {
        const int i = row0 + ty + r * WG;
        if (i >= m) continue;
        for (int s = 0; s < WPT; ++s) {
            const int j = col0 + tx + s * WG;
            if (j >= n) continue;
            __global float* out = c + (size_t)i * n + j;
            *out = beta == 0.0f ? alpha * acc[r][s] : fma(beta, *out, alpha * acc[r][s]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

// C_z = beta·C_z for k = 0 or alpha = 0 (beta = 0 writes zeros). global = (m·n, batch).
__kernel void sgemm_scale(__global float* C, int count, int offsetC, int strideC, float beta) {
    const int i = get_global_id(0);
    if (i >= count) return;
    __global float* c = C + offsetC + (size_t)get_global_id(1) * strideC + i;
    *c = beta == 0.0f ? 0.0f : beta * *c;
}

// dst_z[c][r] = src_z[r][c] for a rows×cols matrix; dst matrices are packed (stride rows·cols).
// Each work-item moves an 8×8 block. global = (ceil(rows/8), ceil(cols/8), batch).
__kernel void transpose(__global const float* restrict src, __global float* restrict dst,
                        int rows, int cols, int offsetSrc, int strideSrc) {
    const int r0 = get_global_id(0) * 8;
    const int c0 = get_global_id(1) * 8;
    const int z = get_global_id(2);
    __global const float* s = src + offsetSrc + (size_t)z * strideSrc;
    __global float* d = dst + (size_t)z * rows * cols;
    const int r1 = min(r0 + 8, rows), c1 = min(c0 + 8, cols);
    for (int cc = c0; cc < c1; ++cc)
        for (int rr = r0; rr < r1; ++rr) d[(size_t)cc * rows + rr] = s[(size_t)rr * cols + cc];
}
