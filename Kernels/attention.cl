// Fused scaled dot-product attention (forward and backward). Semantics: FusedKernels.swift.
// Built with -DHEAD_DIM=<D> (private row arrays have a compile-time length) and -DKEY_TILE=<n>.
// q [B, Lq, D], k and v [B, Lk, D], mask [Lq, Lk] (additive, read only when has_mask != 0),
// logsumexp [B, Lq]. No Lq×Lk matrix is ever written: scores live in private or local memory.
//
// Two variants of each kernel:
// - *_rows (CPU devices, PoCL): no local memory or barriers. The forward pass is explicit float16
//   SIMD over QROWS query rows per work-item (below); the backward kernels take one query row (dQ)
//   or key row (dK/dV) per work-item.
// - *_tiled (GPUs): work-groups of TILE rows, the other operand staged through local memory in
//   tiles of KEY_TILE rows, shared by the whole group.

#ifndef HEAD_DIM
#define HEAD_DIM 64
#endif
#ifndef KEY_TILE
#define KEY_TILE 32
#endif
#define SCORE_BLOCK 16

// Online softmax step for one query row over a block of scores: rescales acc and l to the new
// running max m, then adds p·v for every key of the block. Fully masked blocks change nothing.
#define ONLINE_BLOCK(scores, n, value_row, SPACE)                                        \
    {                                                                               \
        float block_max = -INFINITY;                                                \
        for (int t = 0; t < (n); ++t) block_max = fmax(block_max, scores[t]);       \
        if (block_max != -INFINITY) {                                               \
            const float new_max = fmax(m, block_max);                               \
            const float alpha = m == -INFINITY ? 0.0f : exp(m - new_max);           \
            l *= alpha;                                                             \
            for (int d = 0; d < HEAD_DIM; ++d) acc[d] *= alpha;                     \
            m = new_max;                                                            \
            for (int t = 0; t < (n); ++t) {                                         \
                const float p = exp(scores[t] - m);                                 \
                l += p;                                                             \
                const SPACE float* vr = value_row(t);                               \
                for (int d = 0; d < HEAD_DIM; ++d) acc[d] = fma(p, vr[d], acc[d]);  \
            }                                                                       \
        }                                                                           \
    }

// CPU devices (PoCL) forward: explicit SIMD rather than work-item vectorisation. attention_pack
// writes Kᵀ [B, D, lkpad] (keys padded to 16 with zeros) and V [B, Lk, DPAD] (columns padded to 16);
// then each work-item takes QROWS query rows and walks the keys 16 at a time: S (QROWS float16
// vectors) = Q·Kᵀ, the online-softmax update per row, and acc += P·V with V rows loaded once for
// all QROWS rows. Range (ceil(Lq / QROWS), B).
#define DPAD ((HEAD_DIM + 15) / 16 * 16)
#define DV (DPAD / 16)
#define QROWS 4

// Range (lkpad, B).
__kernel void attention_pack(const __global float* k, const __global float* v, __global float* kt,
                             __global float* vp, const int lk, const int lkpad) {
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= lkpad) return;
    const __global float* kr = k + ((size_t)b * lk + j) * HEAD_DIM;
    for (int d = 0; d < HEAD_DIM; ++d) kt[((size_t)b * HEAD_DIM + d) * lkpad + j] = j < lk ? kr[d] : 0.0f;
    if (j >= lk) return;
    const __global float* vr = v + ((size_t)b * lk + j) * HEAD_DIM;
    __global float* dst = vp + ((size_t)b * lk + j) * DPAD;
    for (int d = 0; d < DPAD; ++d) dst[d] = d < HEAD_DIM ? vr[d] : 0.0f;
}

__kernel void attention_forward_rows(const __global float* q, const __global float* kt, const __global float* vp,
                                     const __global float* mask, const int has_mask, __global float* out,
                                     __global float* lse, const int lq, const int lk, const int lkpad,
                                     const float scale) {
    const int i0 = get_global_id(0) * QROWS, b = get_global_id(1);
    if (i0 >= lq) return;
    const __global float* ktb = kt + (size_t)b * HEAD_DIM * lkpad;
    const __global float* vpb = vp + (size_t)b * lk * DPAD;
    int rows[QROWS];
    float m[QROWS], l[QROWS];
    float16 acc[QROWS][DV];
    for (int r = 0; r < QROWS; ++r) {
        rows[r] = min(i0 + r, lq - 1);
        m[r] = -INFINITY;
        l[r] = 0.0f;
        for (int c = 0; c < DV; ++c) acc[r][c] = (float16)(0.0f);
    }
    float p[QROWS][16];
    for (int j0 = 0; j0 < lk; j0 += 16) {
        const int n = min(16, lk - j0);
        float16 s[QROWS];
        for (int r = 0; r < QROWS; ++r) s[r] = (float16)(0.0f);
        for (int d = 0; d < HEAD_DIM; ++d) {
            const float16 e = vload16(0, ktb + (size_t)d * lkpad + j0);
            for (int r = 0; r < QROWS; ++r) s[r] = fma((float16)(q[((size_t)b * lq + rows[r]) * HEAD_DIM + d]), e, s[r]);
        }
        for (int r = 0; r < QROWS; ++r) {
            vstore16(s[r] * scale, 0, p[r]);
            float block_max = -INFINITY;
            for (int t = 0; t < 16; ++t) {
                const float x = t < n ? p[r][t] + (has_mask ? mask[(size_t)rows[r] * lk + j0 + t] : 0.0f) : -INFINITY;
                p[r][t] = x;
                block_max = fmax(block_max, x);
            }
            if (block_max == -INFINITY) {
                for (int t = 0; t < 16; ++t) p[r][t] = 0.0f;
                continue;
            }
            const float new_max = fmax(m[r], block_max);
            const float alpha = m[r] == -INFINITY ? 0.0f : exp(m[r] - new_max);
            m[r] = new_max;
            const float16 e = exp(vload16(0, p[r]) - new_max);
            vstore16(e, 0, p[r]);
            const float8 folded = e.lo + e.hi;
            const float4 quarter = folded.lo + folded.hi;
            l[r] = l[r] * alpha + (quarter.x + quarter.y + quarter.z + quarter.w);
            for (int c = 0; c < DV; ++c) acc[r][c] *= alpha;
        }
        for (int t = 0; t < n; ++t) {
            const __global float* vr = vpb + (size_t)(j0 + t) * DPAD;
            for (int c = 0; c < DV; ++c) {
                const float16 value = vload16(c, vr);
                for (int r = 0; r < QROWS; ++r) acc[r][c] = fma((float16)(p[r][t]), value, acc[r][c]);
            }
        }
    }
    for (int r = 0; r < QROWS && i0 + r < lq; ++r) {
        const float inverse = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
        float row[DPAD];
        for (int c = 0; c < DV; ++c) vstore16(acc[r][c] * inverse, c, row);
        __global float* o = out + ((size_t)b * lq + i0 + r) * HEAD_DIM;
        for (int d = 0; d < HEAD_DIM; ++d) o[d] = row[d];
        lse[(size_t)b * lq + i0 + r] = l[r] > 0.0f ? m[r] + log(l[r]) : -INFINITY;
    }
}

// di[b, i] = Σ_d dO[b, i, d]·O[b, i, d]. Range (Lq, B).
__kernel void attention_row_dot(const __global float* grad_out, const __global float* out, __global float* di,
                                const int lq) {
    const int i = get_global_id(0), b = get_global_id(1);
    if (i >= lq) return;
    const size_t row = (size_t)b * lq + i;
    float t = 0.0f;
    for (int d = 0; d < HEAD_DIM; ++d) t = fma(grad_out[row * HEAD_DIM + d], out[row * HEAD_DIM + d], t);
    di[row] = t;
}

// dS for query i and key j: scale·P·(dP − Di), P recomputed from the saved logsumexp.
inline float attention_grad_score(const float* qs, const float* gs, const __global float* kr,
                                  const __global float* vr, const float mask_value, const float scale,
                                  const float row_lse, const float row_di, float* p_out) {
    float s = 0.0f, dp = 0.0f;
    for (int d = 0; d < HEAD_DIM; ++d) {
        s = fma(qs[d], kr[d], s);
        dp = fma(gs[d], vr[d], dp);
    }
    const float p = row_lse == -INFINITY ? 0.0f : exp(s * scale + mask_value - row_lse);
    *p_out = p;
    return scale * p * (dp - row_di);
}

// dQ[b, i] = Σ_j dS_ij·K_j. Range (Lq, B): one work-item per query row.
__kernel void attention_backward_dq_rows(const __global float* q, const __global float* k, const __global float* v,
                                         const __global float* mask, const int has_mask, const __global float* lse,
                                         const __global float* di, const __global float* grad_out,
                                         __global float* grad_q, const int lq, const int lk, const float scale) {
    const int i = get_global_id(0), b = get_global_id(1);
    if (i >= lq) return;
    const size_t row = (size_t)b * lq + i;
    float qs[HEAD_DIM], gs[HEAD_DIM], acc[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; ++d) {
        qs[d] = q[row * HEAD_DIM + d];
        gs[d] = grad_out[row * HEAD_DIM + d];
        acc[d] = 0.0f;
    }
    const float row_lse = lse[row], row_di = di[row];
    const __global float* kb = k + (size_t)b * lk * HEAD_DIM;
    const __global float* vb = v + (size_t)b * lk * HEAD_DIM;
    for (int j = 0; j < lk; ++j) {
        const __global float* kr = kb + (size_t)j * HEAD_DIM;
        float p;
        const float ds = attention_grad_score(qs, gs, kr, vb + (size_t)j * HEAD_DIM,
                                              has_mask ? mask[(size_t)i * lk + j] : 0.0f, scale, row_lse, row_di, &p);
        for (int d = 0; d < HEAD_DIM; ++d) acc[d] = fma(ds, kr[d], acc[d]);
    }
    for (int d = 0; d < HEAD_DIM; ++d) grad_q[row * HEAD_DIM + d] = acc[d];
}

// dK[b, j] = Σ_i dS_ij·Q_i and dV[b, j] = Σ_i P_ij·dO_i. Range (Lk, B): one work-item per key row.
__kernel void attention_backward_dkdv_rows(const __global float* q, const __global float* k, const __global float* v,
                                           const __global float* mask, const int has_mask, const __global float* lse,
                                           const __global float* di, const __global float* grad_out,
                                           __global float* grad_k, __global float* grad_v, const int lq, const int lk,
                                           const float scale) {
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= lk) return;
    const size_t key = (size_t)b * lk + j;
    float ks[HEAD_DIM], vs[HEAD_DIM], dk[HEAD_DIM], dv[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; ++d) {
        ks[d] = k[key * HEAD_DIM + d];
        vs[d] = v[key * HEAD_DIM + d];
        dk[d] = 0.0f;
        dv[d] = 0.0f;
    }
    for (int i = 0; i < lq; ++i) {
        const size_t row = (size_t)b * lq + i;
        const __global float* qr = q + row * HEAD_DIM;
        const __global float* gr = grad_out + row * HEAD_DIM;
        float s = 0.0f, dp = 0.0f;
        for (int d = 0; d < HEAD_DIM; ++d) {
            s = fma(qr[d], ks[d], s);
            dp = fma(gr[d], vs[d], dp);
        }
        const float row_lse = lse[row];
        const float p = row_lse == -INFINITY
            ? 0.0f : exp(s * scale + (has_mask ? mask[(size_t)i * lk + j] : 0.0f) - row_lse);
        const float ds = scale * p * (dp - di[row]);
        for (int d = 0; d < HEAD_DIM; ++d) {
            dv[d] = fma(p, gr[d], dv[d]);
            dk[d] = fma(ds, qr[d], dk[d]);
        }
    }
    for (int d = 0; d < HEAD_DIM; ++d) {
        grad_k[key * HEAD_DIM + d] = dk[d];
        grad_v[key * HEAD_DIM + d] = dv[d];
    }
}

// ---- GPU variants: range (Lq or Lk rounded up to the work-group size, B); the group stages
// tiles of KEY_TILE rows of the other operand in local memory (tile_a, tile_b: KEY_TILE·HEAD_DIM).

// Copies rows [r0, r0 + n) of two [rows, HEAD_DIM] matrices into local tiles, cooperatively.
inline void attention_stage(const __global float* a, const __global float* b, __local float* tile_a,
                            __local float* tile_b, const int r0, const int n) {
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int idx = get_local_id(0); idx < n * HEAD_DIM; idx += get_local_size(0)) {
        tile_a[idx] = a[(size_t)r0 * HEAD_DIM + idx];
        tile_b[idx] = b[(size_t)r0 * HEAD_DIM + idx];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

__kernel void attention_forward_tiled(const __global float* q, const __global float* k, const __global float* v,
                                      const __global float* mask, const int has_mask, __global float* out,
                                      __global float* lse, const int lq, const int lk, const float scale,
                                      __local float* ktile, __local float* vtile) {
    const int i = get_global_id(0), b = get_global_id(1);
    const bool active = i < lq;
    const __global float* qr = q + ((size_t)b * lq + (active ? i : 0)) * HEAD_DIM;
    float qs[HEAD_DIM], acc[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; ++d) {
        qs[d] = qr[d];
        acc[d] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    float scores[SCORE_BLOCK];
    for (int j0 = 0; j0 < lk; j0 += KEY_TILE) {
        const int tile = min(KEY_TILE, lk - j0);
        attention_stage(k + (size_t)b * lk * HEAD_DIM, v + (size_t)b * lk * HEAD_DIM, ktile, vtile, j0, tile);
        for (int t0 = 0; t0 < tile; t0 += SCORE_BLOCK) {
            const int n = min(SCORE_BLOCK, tile - t0);
            for (int t = 0; t < n; ++t) {
                const __local float* kr = ktile + (t0 + t) * HEAD_DIM;
                float s = 0.0f;
                for (int d = 0; d < HEAD_DIM; ++d) s = fma(qs[d], kr[d], s);
                scores[t] = s * scale + (has_mask && active ? mask[(size_t)i * lk + j0 + t0 + t] : 0.0f);
            }
#define VALUE_ROW(t) (vtile + (t0 + (t)) * HEAD_DIM)
            ONLINE_BLOCK(scores, n, VALUE_ROW, __local)
#undef VALUE_ROW
        }
    }
    if (!active) return;
    const float inverse = l > 0.0f ? 1.0f / l : 0.0f;
    __global float* o = out + ((size_t)b * lq + i) * HEAD_DIM;
    for (int d = 0; d < HEAD_DIM; ++d) o[d] = acc[d] * inverse;
    lse[(size_t)b * lq + i] = l > 0.0f ? m + log(l) : -INFINITY;
}

__kernel void attention_backward_dq_tiled(const __global float* q, const __global float* k, const __global float* v,
                                          const __global float* mask, const int has_mask, const __global float* lse,
                                          const __global float* di, const __global float* grad_out,
                                          __global float* grad_q, const int lq, const int lk, const float scale,
                                          __local float* ktile, __local float* vtile) {
    const int i = get_global_id(0), b = get_global_id(1);
    const bool active = i < lq;
    const size_t row = (size_t)b * lq + (active ? i : 0);
    float qs[HEAD_DIM], gs[HEAD_DIM], acc[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; ++d) {
        qs[d] = q[row * HEAD_DIM + d];
        gs[d] = grad_out[row * HEAD_DIM + d];
        acc[d] = 0.0f;
    }
    const float row_lse = active ? lse[row] : -INFINITY, row_di = di[row];
    for (int j0 = 0; j0 < lk; j0 += KEY_TILE) {
        const int tile = min(KEY_TILE, lk - j0);
        attention_stage(k + (size_t)b * lk * HEAD_DIM, v + (size_t)b * lk * HEAD_DIM, ktile, vtile, j0, tile);
        for (int t = 0; t < tile; ++t) {
            const __local float* kr = ktile + t * HEAD_DIM;
            const __local float* vr = vtile + t * HEAD_DIM;
            float s = 0.0f, dp = 0.0f;
            for (int d = 0; d < HEAD_DIM; ++d) {
                s = fma(qs[d], kr[d], s);
                dp = fma(gs[d], vr[d], dp);
            }
            const float p = row_lse == -INFINITY
                ? 0.0f : exp(s * scale + (has_mask ? mask[(size_t)i * lk + j0 + t] : 0.0f) - row_lse);
            const float ds = scale * p * (dp - row_di);
            for (int d = 0; d < HEAD_DIM; ++d) acc[d] = fma(ds, kr[d], acc[d]);
        }
    }
    if (!active) return;
    for (int d = 0; d < HEAD_DIM; ++d) grad_q[row * HEAD_DIM + d] = acc[d];
}

__kernel void attention_backward_dkdv_tiled(const __global float* q, const __global float* k, const __global float* v,
                                            const __global float* mask, const int has_mask, const __global float* lse,
                                            const __global float* di, const __global float* grad_out,
                                            __global float* grad_k, __global float* grad_v, const int lq, const int lk,
                                            const float scale, __local float* qtile, __local float* gtile) {
    const int j = get_global_id(0), b = get_global_id(1);
    const bool active = j < lk;
    const size_t key = (size_t)b * lk + (active ? j : 0);
    float ks[HEAD_DIM], vs[HEAD_DIM], dk[HEAD_DIM], dv[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; ++d) {
        ks[d] = k[key * HEAD_DIM + d];
        vs[d] = v[key * HEAD_DIM + d];
        dk[d] = 0.0f;
        dv[d] = 0.0f;
    }
    for (int i0 = 0; i0 < lq; i0 += KEY_TILE) {
        const int tile = min(KEY_TILE, lq - i0);
        attention_stage(q + (size_t)b * lq * HEAD_DIM, grad_out + (size_t)b * lq * HEAD_DIM, qtile, gtile, i0, tile);
        for (int t = 0; t < tile; ++t) {
            const size_t row = (size_t)b * lq + i0 + t;
            const __local float* qr = qtile + t * HEAD_DIM;
            const __local float* gr = gtile + t * HEAD_DIM;
            float s = 0.0f, dp = 0.0f;
            for (int d = 0; d < HEAD_DIM; ++d) {
                s = fma(qr[d], ks[d], s);
                dp = fma(gr[d], vs[d], dp);
            }
            const float row_lse = lse[row];
            const float p = row_lse == -INFINITY || !active
                ? 0.0f : exp(s * scale + (has_mask ? mask[(size_t)(i0 + t) * lk + j] : 0.0f) - row_lse);
            const float ds = scale * p * (dp - di[row]);
            for (int d = 0; d < HEAD_DIM; ++d) {
                dv[d] = fma(p, gr[d], dv[d]);
                dk[d] = fma(ds, qr[d], dk[d]);
            }
        }
    }
    if (!active) return;
    for (int d = 0; d < HEAD_DIM; ++d) {
        grad_k[key * HEAD_DIM + d] = dk[d];
        grad_v[key * HEAD_DIM + d] = dv[d];
    }
}
