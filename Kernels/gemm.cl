// Matrix multiply: for each batch z, C_z = alpha·op(A_z)·op(B_z) + beta·C_z, row-major.
// op(A) is m×k (A stored k×m when transA), op(B) is k×n (B stored n×k when transB).
// Matrix z of an operand starts at offset + z·stride (stride 0 broadcasts one matrix).
// beta == 0 writes C without reading it (old NaNs are ignored).
//
// Two variants, chosen per device type by OpenCL/OpenCLGemm.swift:
// - sgemm_cpu: for CPU OpenCL devices (PoCL). No local memory, no barriers: each work-item keeps a
//   6×16 block of C in six float16 accumulators and streams rows of A and columns of B; one launch.
//   Products with more than 256 rows pack A and B first (pack_a, pack_b, sgemm_cpu_packed).
// - sgemm_tiled: for GPUs. 64×64 tiles of C per 16×16 work-group, 4×4 per work-item, depth steps
//   of 16 staged in local memory.
// transA / transB are kernel arguments (0 or 1).

// Operand access with the transposes as runtime flags (one program serves every combination, so
// a driver that compiles per kernel and work-group size, like PoCL, compiles each kernel once).
#define A_AT(i, p) (transA ? a[(size_t)(p) * lda + (i)] : a[(size_t)(i) * lda + (p)])
#define B_AT(p, j) (transB ? b[(size_t)(j) * ldb + (p)] : b[(size_t)(p) * ldb + (j)])


// The epilogue (EPILOGUE_PARAMETERS, gemm_epilogue) is in common.cl: the Winograd convolution
// (winograd.cl) applies it too.

// ---------------------------------------------------------------------------------------------
// CPU-style: one work-item keeps a 6×16 block of C (rows 6·i, columns 16·j of batch z) in six
// float16 accumulators and streams its six rows of op(A) and sixteen columns of op(B) straight from
// the operands, one launch per product. Rows and columns past the edge repeat the last valid one
// (their sums are computed and dropped), so every stored sum has the same fma order as any other.

#define CPU_ROWS 6
#define CPU_COLS 16

inline void cpu_store(float16 acc, __global float* row, int cols, float alpha, float beta, int z, int i, int j0,
                      EPILOGUE_PARAMETERS) {
    if (cols == CPU_COLS && !has_bias && !has_residual) {
        vstore16(beta == 0.0f ? alpha * acc : fma((float16)(beta), vload16(0, row), alpha * acc), 0, row);
        return;
    }
    float values[CPU_COLS];
    vstore16(acc, 0, values);
    for (int j = 0; j < cols; ++j) {
        const float v = beta == 0.0f ? alpha * values[j] : fma(beta, row[j], alpha * values[j]);
        row[j] = gemm_epilogue(v, z, i, j0 + j, EPILOGUE_ARGUMENTS);
    }
}

// global = (ceil(m/6) rounded up to 8, ceil(n/16), batch), local (8, 1, 1).
__kernel void sgemm_cpu(__global const float* restrict A, __global const float* restrict B,
                        __global float* restrict C, int m, int n, int k, int lda, int ldb,
                        int offsetA, int offsetB, int offsetC, int strideA, int strideB, int strideC,
                        float alpha, float beta, int transA, int transB, EPILOGUE_PARAMETERS) {
    const int ib = get_global_id(0);
    const int jb = get_global_id(1);
    const int z = get_global_id(2);
    const int i0 = ib * CPU_ROWS, j0 = jb * CPU_COLS;
    if (i0 >= m || j0 >= n) return;
    __global const float* a = A + offsetA + (size_t)z * strideA;
    __global const float* b = B + offsetB + (size_t)z * strideB;
    const int rows = min(CPU_ROWS, m - i0);
    const int cols = min(CPU_COLS, n - j0);
    const int i1 = i0 + min(1, rows - 1), i2 = i0 + min(2, rows - 1), i3 = i0 + min(3, rows - 1);
    const int i4 = i0 + min(4, rows - 1), i5 = i0 + min(5, rows - 1);

    float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    // Rows p < direct_rows of B are read as 16 floats from column j0 even in a partial last block:
    // lanes past column n − 1 read the next row of this matrix (their sums are dropped), which
    // stays inside matrix z while p·ldb + j0 + 16 <= k·ldb. The rows after take the general path.
    int direct_rows = 0;
    if (!transA && !transB) {
        direct_rows = cols == CPU_COLS ? k : clamp((k * ldb - j0 - CPU_COLS) / ldb + 1, 0, k);
        if (k * ldb - j0 - CPU_COLS < 0) direct_rows = 0;
    }
    if (direct_rows > 0) {
        const __global float *a0 = a + (size_t)i0 * lda, *a1 = a + (size_t)i1 * lda, *a2 = a + (size_t)i2 * lda;
        const __global float *a3 = a + (size_t)i3 * lda, *a4 = a + (size_t)i4 * lda, *a5 = a + (size_t)i5 * lda;
        const __global float* bp = b + j0;
        for (int p = 0; p < direct_rows; ++p) {
            const float16 bv = vload16(0, bp);
            bp += ldb;
            c0 = fma((float16)(a0[p]), bv, c0);
            c1 = fma((float16)(a1[p]), bv, c1);
            c2 = fma((float16)(a2[p]), bv, c2);
            c3 = fma((float16)(a3[p]), bv, c3);
            c4 = fma((float16)(a4[p]), bv, c4);
            c5 = fma((float16)(a5[p]), bv, c5);
        }
    }
    if (direct_rows < k) {
        float column[CPU_COLS];
        for (int p = direct_rows; p < k; ++p) {
            float16 bv;
            if (!transB && cols == CPU_COLS) {
                bv = vload16(0, b + (size_t)p * ldb + j0);
            } else {
                for (int j = 0; j < CPU_COLS; ++j) column[j] = B_AT(p, j0 + min(j, cols - 1));
                bv = vload16(0, column);
            }
            c0 = fma((float16)(A_AT(i0, p)), bv, c0);
            c1 = fma((float16)(A_AT(i1, p)), bv, c1);
            c2 = fma((float16)(A_AT(i2, p)), bv, c2);
            c3 = fma((float16)(A_AT(i3, p)), bv, c3);
            c4 = fma((float16)(A_AT(i4, p)), bv, c4);
            c5 = fma((float16)(A_AT(i5, p)), bv, c5);
        }
    }
    __global float* c = C + offsetC + (size_t)z * strideC + (size_t)i0 * n + j0;
    cpu_store(c0, c, cols, alpha, beta, z, i0, j0, EPILOGUE_ARGUMENTS);
    if (rows > 1) cpu_store(c1, c + n, cols, alpha, beta, z, i0 + 1, j0, EPILOGUE_ARGUMENTS);
    if (rows > 2) cpu_store(c2, c + 2 * n, cols, alpha, beta, z, i0 + 2, j0, EPILOGUE_ARGUMENTS);
    if (rows > 3) cpu_store(c3, c + 3 * n, cols, alpha, beta, z, i0 + 3, j0, EPILOGUE_ARGUMENTS);
    if (rows > 4) cpu_store(c4, c + 4 * n, cols, alpha, beta, z, i0 + 4, j0, EPILOGUE_ARGUMENTS);
    if (rows > 5) cpu_store(c5, c + 5 * n, cols, alpha, beta, z, i0 + 5, j0, EPILOGUE_ARGUMENTS);
}

// Packed CPU-style, for products with many row blocks (m > 256), where packing pays: the host
// first packs op(A) into 6-row panels (Ap[panel][p][6]) and op(B) into 16-column panels
// (Bp[panel][p][16]), zero-padded at the edges, turning every operand read of the product into a
// sequential stream; sgemm_cpu_packed then runs the same 6×16 blocks and fma order as sgemm_cpu.

// Values of p each packing work-item moves.
#define PACK_DEPTH 64

// global = (ceil(m/6), ceil(k/64), batches), local (1, 1, 1); Ap holds ceil(m/6)·k·6 floats per batch.
__kernel void pack_a(__global const float* restrict A, __global float* restrict Ap, int m, int k, int lda,
                     int offsetA, int strideA, int transA) {
    const int panel = get_global_id(0);
    const int p0 = get_global_id(1) * PACK_DEPTH;
    const int z = get_global_id(2);
    const int i0 = panel * CPU_ROWS;
    const int panels = (m + CPU_ROWS - 1) / CPU_ROWS;
    __global const float* a = A + offsetA + (size_t)z * strideA;
    __global float* out = Ap + ((size_t)z * panels + panel) * k * CPU_ROWS;
    const int p1 = min(p0 + PACK_DEPTH, k);
    const int rows = min(CPU_ROWS, m - i0);
    for (int p = p0; p < p1; ++p) {
        for (int r = 0; r < CPU_ROWS; ++r) {
            out[(size_t)p * CPU_ROWS + r] = r < rows ? A_AT(i0 + r, p) : 0.0f;
        }
    }
}

// global = (ceil(n/16), ceil(k/64), batches), local (1, 1, 1); Bp holds ceil(n/16)·k·16 floats per batch.
__kernel void pack_b(__global const float* restrict B, __global float* restrict Bp, int n, int k, int ldb,
                     int offsetB, int strideB, int transB) {
    const int panel = get_global_id(0);
    const int p0 = get_global_id(1) * PACK_DEPTH;
    const int z = get_global_id(2);
    const int j0 = panel * CPU_COLS;
    const int panels = (n + CPU_COLS - 1) / CPU_COLS;
    __global const float* b = B + offsetB + (size_t)z * strideB;
    __global float* out = Bp + ((size_t)z * panels + panel) * k * CPU_COLS;
    const int p1 = min(p0 + PACK_DEPTH, k);
    const int cols = min(CPU_COLS, n - j0);
    if (!transB && cols == CPU_COLS) {
        for (int p = p0; p < p1; ++p) vstore16(vload16(0, b + (size_t)p * ldb + j0), p, out);
        return;
    }
    for (int p = p0; p < p1; ++p) {
        for (int j = 0; j < CPU_COLS; ++j) {
            out[(size_t)p * CPU_COLS + j] = j < cols ? B_AT(p, j0 + j) : 0.0f;
        }
    }
}

// global = (ceil(m/6) rounded up to 8, ceil(n/16), batch), local (8, 1, 1). Packed batch strides are 0 for a broadcast operand.
__kernel void sgemm_cpu_packed(__global const float* restrict Ap, __global const float* restrict Bp,
                        __global float* restrict C, int m, int n, int k,
                        int packedStrideA, int packedStrideB, int offsetC, int strideC,
                        float alpha, float beta, EPILOGUE_PARAMETERS) {
    const int ib = get_global_id(0);
    const int jb = get_global_id(1);
    const int z = get_global_id(2);
    const int i0 = ib * CPU_ROWS, j0 = jb * CPU_COLS;
    if (i0 >= m || j0 >= n) return;
    __global const float* a = Ap + (size_t)z * packedStrideA + (size_t)ib * k * CPU_ROWS;
    __global const float16* b = (__global const float16*)(Bp + (size_t)z * packedStrideB + (size_t)jb * k * CPU_COLS);

    float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    for (int p = 0; p < k; ++p) {
        const float16 bv = b[p];
        c0 = fma((float16)(a[0]), bv, c0);
        c1 = fma((float16)(a[1]), bv, c1);
        c2 = fma((float16)(a[2]), bv, c2);
        c3 = fma((float16)(a[3]), bv, c3);
        c4 = fma((float16)(a[4]), bv, c4);
        c5 = fma((float16)(a[5]), bv, c5);
        a += CPU_ROWS;
    }
    __global float* c = C + offsetC + (size_t)z * strideC + (size_t)i0 * n + j0;
    const int rows = min(CPU_ROWS, m - i0);
    const int cols = min(CPU_COLS, n - j0);
    cpu_store(c0, c, cols, alpha, beta, z, i0, j0, EPILOGUE_ARGUMENTS);
    if (rows > 1) cpu_store(c1, c + n, cols, alpha, beta, z, i0 + 1, j0, EPILOGUE_ARGUMENTS);
    if (rows > 2) cpu_store(c2, c + 2 * n, cols, alpha, beta, z, i0 + 2, j0, EPILOGUE_ARGUMENTS);
    if (rows > 3) cpu_store(c3, c + 3 * n, cols, alpha, beta, z, i0 + 3, j0, EPILOGUE_ARGUMENTS);
    if (rows > 4) cpu_store(c4, c + 4 * n, cols, alpha, beta, z, i0 + 4, j0, EPILOGUE_ARGUMENTS);
    if (rows > 5) cpu_store(c5, c + 5 * n, cols, alpha, beta, z, i0 + 5, j0, EPILOGUE_ARGUMENTS);
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
                 float alpha, float beta, int transA, int transB, EPILOGUE_PARAMETERS) {
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
            const int ai = transA ? e % TILE : e / TILE_K;
            const int ap = transA ? e / TILE : e % TILE_K;
            const int gi = row0 + ai, gp = p0 + ap;
            As[ap][ai] = (gi < m && gp < k) ? A_AT(gi, gp) : 0.0f;
            const int bj = transB ? e / TILE_K : e % TILE;
            const int bp = transB ? e % TILE_K : e / TILE;
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
            const float v = beta == 0.0f ? alpha * acc[r][s] : fma(beta, *out, alpha * acc[r][s]);
            *out = gemm_epilogue(v, z, i, j, EPILOGUE_ARGUMENTS);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

// C_z = beta·C_z for k = 0 or alpha = 0 (beta = 0 writes zeros).
// global = (m·n rounded up to 64, batch), local (64, 1).
__kernel void sgemm_scale(__global float* C, int count, int offsetC, int strideC, float beta) {
    const int i = get_global_id(0);
    if (i >= count) return;
    __global float* c = C + offsetC + (size_t)get_global_id(1) * strideC + i;
    *c = beta == 0.0f ? 0.0f : beta * *c;
}
