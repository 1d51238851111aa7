// Winograd convolution for 3×3 windows, stride 1, dilation 1, padding 0…2 on CPU devices (PoCL;
// OpenCL/OpenCLWinograd.swift): F(4×4, 3×3) by default, F(2×2, 3×3) under LATENT_OPENCL_WINOGRAD=2.
// Each runs in two launches: an input transform (whose extra work-items transform the filters in
// the first chunk) and the products folded into the output transform and the epilogue.

// The 9 taps of filter g for output channel o and input channel c, row by row: weights [out, in,
// 3, 3], or with `flipped`, filter [c, o] of weights [in, out, 3, 3] rotated by 180° (the
// backward-data filters).
inline void winograd_filter_taps(const __global float* w, const int o, const int c, const int out_channels,
                                 const int in_channels, const int flipped, float* t) {
    for (int k = 0; k < 9; ++k) {
        t[k] = flipped ? w[((long)c * out_channels + o) * 9 + 8 - k] : w[((long)o * in_channels + c) * 9 + k];
    }
}

// ---------------------------------------------------------------------------------------------
// F(2×2, 3×3) (under LATENT_OPENCL_WINOGRAD=2): the CPU backend's F(2×2) (CPU/CPUWinogradF2.swift).
// For the images [first, first + images) of a batch, with T = images·tilesY·tilesX tiles
// (tile t = (n·tilesY + ty)·tilesX + tx):
//   U[ξ][o][c] = (G·g·Gᵀ)[ξ]          winograd_input's extra work-items (first chunk only)
//   V[ξ][c][t] = (Bᵀ·d·B)[ξ]          winograd_input, d the 4×4 input patch at (2ty − padY, 2tx − padX)
//   y = Aᵀ·(U[ξ]·V[ξ])·A              winograd_product, with the product epilogue (bias, residual)
// The input and filter transforms add and subtract in the CPU backend's order.

// U[ξ][o][c] for c < in_channels of output channel o (g: winograd_filter_taps).
inline void winograd_filter_row(const __global float* w, __global float* u, const int o, const int out_channels,
                                const int in_channels, const int flipped) {
    const long step = (long)out_channels * in_channels;
    for (int c = 0; c < in_channels; ++c) {
        float t[9];
        winograd_filter_taps(w, o, c, out_channels, in_channels, flipped, t);
        __global float* base = u + (long)o * in_channels + c;
        for (int i = 0; i < 4; ++i) {
            // Row i of G·g from g's columns (a, b, e) = taps (j, 3 + j, 6 + j): [a, ½(a+b+e), ½(a−b+e), e].
            float r[3];
            for (int j = 0; j < 3; ++j) {
                const float a = t[j], b = t[3 + j], e = t[6 + j];
                r[j] = i == 0 ? a : i == 1 ? 0.5f * (a + b + e) : i == 2 ? 0.5f * (a - b + e) : e;
            }
            __global float* row = base + (long)(4 * i) * step;
            row[0] = r[0];
            row[step] = 0.5f * (r[0] + r[1] + r[2]);
            row[2 * step] = 0.5f * (r[0] - r[1] + r[2]);
            row[3 * step] = r[2];
        }
    }
}

// Tiles per step of the transforms: eight tiles' values sit in the lanes of float8 vectors.
#define WINOGRAD_LANES 8

// One work-item per plane p = local image·channels + c, then one per output channel for the filter
// transform (filter_rows of them: out_channels in the first chunk, 0 after): global
// (images·channels + filter_rows), local (1), so `padded` (local memory, (2·tilesY + 2) ×
// winograd_padded_width floats) is the work-item's own (layout of V: winograd_packed_offset).
// The plane is copied into a zero border once, then each tile row forms Bᵀ·d on whole rows of the
// padded plane, eight tiles at a time, and ·B on their even and odd columns.
// Eight-lane stores past a tile row's end land in the next tile row of the same plane, which this
// work-item writes afterwards (groups run right to left, rows top to bottom); stores that would
// leave the plane's tiles or cross a 16-tile block take the lane-by-lane path.
// geometry = (channels, height, width, padY, padX, tilesY, tilesX, first image).
inline int winograd_padded_width(int tiles_x) { return 2 * ((tiles_x + 7) / 8 * 8) + 2; }

// V is stored in blocks of 16 tiles, V[t / 16][ξ][c][t % 16], so that winograd_product reads one
// contiguous run per block (rows of [ξ][c][t] were 16·channels pages apart for one block: past 144
// channels the TLB no longer held them and the products ran 3–4× slower).
inline long winograd_packed_offset(long t, int xi, int c, int channels) {
    return (((t >> 4) * 16 + xi) * channels + c) * 16 + (t & 15);
}

__kernel void winograd_input(const __global float* input, __global float* v, const int8 g, const int planes,
                             __local float* padded, const __global float* w, __global float* u, const int out_channels,
                             const int flipped, const int filter_rows) {
    const int p = get_global_id(0);
    const int channels = g.s0, height = g.s1, width = g.s2, pad_y = g.s3, pad_x = g.s4, tiles_y = g.s5, tiles_x = g.s6;
    if (p >= planes) {
        if (p - planes < filter_rows) winograd_filter_row(w, u, p - planes, out_channels, channels, flipped);
        return;
    }
    const int c = p % channels, image = p / channels;
    const __global float* plane = input + ((long)g.s7 * channels + p) * height * width;
    const int pw = winograd_padded_width(tiles_x), ph = 2 * tiles_y + 2;
    // Input columns [x_low, x_high) land inside the padded rows; everything else there is 0.
    const int x_low = max(0, -pad_x), x_high = min(width, pw - pad_x);
    const int first = x_low + pad_x, last = max(first, x_high + pad_x);
    for (int row = 0; row < ph; ++row) {
        __local float* target = padded + row * pw;
        const int sy = row - pad_y;
        if (sy < 0 || sy >= height) {
            for (int x = 0; x < pw; ++x) target[x] = 0.0f;
            continue;
        }
        for (int x = 0; x < first; ++x) target[x] = 0.0f;
        const __global float* source = plane + (long)sy * width - pad_x;
        for (int x = first; x < last; ++x) target[x] = source[x];
        for (int x = last; x < pw; ++x) target[x] = 0.0f;
    }
    const int plane_tiles = tiles_y * tiles_x;
    const long plane_first = (long)image * plane_tiles;  // the plane's first tile in the chunk
    for (int ty = 0; ty < tiles_y; ++ty) {
        const __local float* d = padded + 2 * ty * pw;
        for (int tx0 = (tiles_x - 1) / WINOGRAD_LANES * WINOGRAD_LANES; tx0 >= 0; tx0 -= WINOGRAD_LANES) {
            const __local float* s = d + 2 * tx0;
            // Bᵀ·d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3 (16 + 2 columns each).
            const float16 d0 = vload16(0, s), d1 = vload16(0, s + pw), d2 = vload16(0, s + 2 * pw), d3 = vload16(0, s + 3 * pw);
            const float2 e0 = vload2(0, s + 16), e1 = vload2(0, s + pw + 16);
            const float2 e2 = vload2(0, s + 2 * pw + 16), e3 = vload2(0, s + 3 * pw + 16);
            float16 rows[4] = {d0 - d2, d1 + d2, d2 - d1, d1 - d3};
            float2 tails[4] = {e0 - e2, e1 + e2, e2 - e1, e1 - e3};
            const int t = ty * tiles_x + tx0;
            const int lanes = plane_tiles - t >= WINOGRAD_LANES ? WINOGRAD_LANES : tiles_x - tx0;
            for (int k = 0; k < 4; ++k) {
                // Columns 2t, 2t+1 are the even and odd lanes; 2t+2, 2t+3 those of the rows shifted by 2.
                const float16 shifted = (float16)(rows[k].s23, rows[k].s4567, rows[k].s89abcdef, tails[k]);
                const float8 c0 = rows[k].even, c1 = rows[k].odd, c2 = shifted.even, c3 = shifted.odd;
                const float8 t0 = c0 - c2, t1 = c1 + c2, t2 = c2 - c1, t3 = c1 - c3;
                const long first = plane_first + t;  // tile index in the chunk
                __global float* o = v + winograd_packed_offset(first, 4 * k, c, channels);
                if (lanes == WINOGRAD_LANES && (first & 15) <= 16 - WINOGRAD_LANES) {
                    vstore8(t0, 0, o);
                    vstore8(t1, 0, o + 16 * channels);
                    vstore8(t2, 0, o + 32 * channels);
                    vstore8(t3, 0, o + 48 * channels);
                } else {
                    float l0[WINOGRAD_LANES], l1[WINOGRAD_LANES], l2[WINOGRAD_LANES], l3[WINOGRAD_LANES];
                    vstore8(t0, 0, l0);
                    vstore8(t1, 0, l1);
                    vstore8(t2, 0, l2);
                    vstore8(t3, 0, l3);
                    for (int l = 0; l < lanes; ++l) {
                        __global float* e = v + winograd_packed_offset(first + l, 4 * k, c, channels);
                        e[0] = l0[l];
                        e[16 * channels] = l1[l];
                        e[32 * channels] = l2[l];
                        e[48 * channels] = l3[l];
                    }
                }
            }
        }
    }
}

// Output channels and tiles per work-item of winograd_product.
#define WINOGRAD_ROWS 4
#define WINOGRAD_COLS 16

// The products and the output transform in one pass: a work-item owns 4 output channels × 16
// consecutive tiles, runs M[ξ] = U[ξ]·V[ξ] for its block one ξ at a time (4 float16 accumulators
// over the input channels) and folds each into the four outputs of its tiles, y = Aᵀ·M·A, whose
// coefficients are 0 and ±1 (so each fold is an exact add or subtract, in ξ order). The M matrices
// are never stored. A block reads V[t0 / 16] front to back; lanes past the last tile read the last
// block's unwritten lanes (the buffer holds whole blocks) and are dropped; channels past the last
// repeat it.
// geometry = (outChannels, outHeight, outWidth, inChannels, 0, tilesY, tilesX, first image);
// global (ceil(outChannels/4) rounded up to 8, ceil(tiles/16)), local (8, 1).
__constant float winograd_fold[2][4] = {{1.0f, 1.0f, 1.0f, 0.0f}, {0.0f, 1.0f, -1.0f, -1.0f}};

__kernel void winograd_product(const __global float* u, const __global float* v, __global float* out, const int8 g,
                               const int tiles, EPILOGUE_PARAMETERS) {
    const int ob = get_global_id(0), tb = get_global_id(1);
    const int out_channels = g.s0, out_h = g.s1, out_w = g.s2, in_channels = g.s3, tiles_y = g.s5, tiles_x = g.s6;
    const int o0 = ob * WINOGRAD_ROWS, t0 = tb * WINOGRAD_COLS;
    if (o0 >= out_channels || t0 >= tiles) return;
    const int rows = min(WINOGRAD_ROWS, out_channels - o0);
    const int o1 = o0 + min(1, rows - 1), o2 = o0 + min(2, rows - 1), o3 = o0 + min(3, rows - 1);
    // yRQ: output channel o0 + R, output Q = 2·(row in tile) + (column in tile).
    float16 y00 = (float16)(0.0f), y01 = y00, y02 = y00, y03 = y00, y10 = y00, y11 = y00, y12 = y00, y13 = y00;
    float16 y20 = y00, y21 = y00, y22 = y00, y23 = y00, y30 = y00, y31 = y00, y32 = y00, y33 = y00;
    for (int xi = 0; xi < 16; ++xi) {
        const __global float* b = v + winograd_packed_offset(t0, xi, 0, in_channels);
        const __global float* a = u + (long)xi * out_channels * in_channels;
        const __global float *a0 = a + (long)o0 * in_channels, *a1 = a + (long)o1 * in_channels;
        const __global float *a2 = a + (long)o2 * in_channels, *a3 = a + (long)o3 * in_channels;
        // Even and odd input channels in separate sums: eight independent fma chains.
        float16 m0 = (float16)(0.0f), m1 = m0, m2 = m0, m3 = m0, n0 = m0, n1 = m0, n2 = m0, n3 = m0;
        int c = 0;
        for (; c + 1 < in_channels; c += 2) {
            const float16 bv = vload16(c, b), bw = vload16(c + 1, b);
            m0 = fma((float16)(a0[c]), bv, m0);
            m1 = fma((float16)(a1[c]), bv, m1);
            m2 = fma((float16)(a2[c]), bv, m2);
            m3 = fma((float16)(a3[c]), bv, m3);
            n0 = fma((float16)(a0[c + 1]), bw, n0);
            n1 = fma((float16)(a1[c + 1]), bw, n1);
            n2 = fma((float16)(a2[c + 1]), bw, n2);
            n3 = fma((float16)(a3[c + 1]), bw, n3);
        }
        if (c < in_channels) {
            const float16 bv = vload16(c, b);
            m0 = fma((float16)(a0[c]), bv, m0);
            m1 = fma((float16)(a1[c]), bv, m1);
            m2 = fma((float16)(a2[c]), bv, m2);
            m3 = fma((float16)(a3[c]), bv, m3);
        }
        m0 += n0;
        m1 += n1;
        m2 += n2;
        m3 += n3;
        // Coefficient of M[ξ = 4i + j] in output (row, column): fold[row][i]·fold[column][j].
        const int i = xi / 4, j = xi % 4;
        const float16 k0 = (float16)(winograd_fold[0][i] * winograd_fold[0][j]);
        const float16 k1 = (float16)(winograd_fold[0][i] * winograd_fold[1][j]);
        const float16 k2 = (float16)(winograd_fold[1][i] * winograd_fold[0][j]);
        const float16 k3 = (float16)(winograd_fold[1][i] * winograd_fold[1][j]);
        y00 = fma(k0, m0, y00), y01 = fma(k1, m0, y01), y02 = fma(k2, m0, y02), y03 = fma(k3, m0, y03);
        y10 = fma(k0, m1, y10), y11 = fma(k1, m1, y11), y12 = fma(k2, m1, y12), y13 = fma(k3, m1, y13);
        y20 = fma(k0, m2, y20), y21 = fma(k1, m2, y21), y22 = fma(k2, m2, y22), y23 = fma(k3, m2, y23);
        y30 = fma(k0, m3, y30), y31 = fma(k1, m3, y31), y32 = fma(k2, m3, y32), y33 = fma(k3, m3, y33);
    }
    float16 acc[WINOGRAD_ROWS][4] = {{y00, y01, y02, y03}, {y10, y11, y12, y13}, {y20, y21, y22, y23}, {y30, y31, y32, y33}};
    float values[WINOGRAD_ROWS][4][WINOGRAD_COLS];
    for (int r = 0; r < WINOGRAD_ROWS; ++r)
        for (int q = 0; q < 4; ++q) vstore16(acc[r][q], 0, values[r][q]);
    // Tile t0's position, then stepped tile by tile (no division per tile).
    const int plane_tiles = tiles_y * tiles_x, plane_size = out_h * out_w;
    int image = t0 / plane_tiles;
    int ty = (t0 - image * plane_tiles) / tiles_x;
    int tx = t0 - image * plane_tiles - ty * tiles_x;
    const int lanes = min(WINOGRAD_COLS, tiles - t0);
    for (int l = 0; l < lanes; ++l) {
        const int z = g.s7 + image, oy = 2 * ty, ox = 2 * tx;
        const bool second_row = oy + 1 < out_h, second_column = ox + 1 < out_w;
        const int j = oy * out_w + ox;
        for (int r = 0; r < rows; ++r) {
            const int o = o0 + r;
            __global float* plane = out + ((long)z * out_channels + o) * plane_size;
            plane[j] = gemm_epilogue(values[r][0][l], z, o, j, EPILOGUE_ARGUMENTS);
            if (second_column) plane[j + 1] = gemm_epilogue(values[r][1][l], z, o, j + 1, EPILOGUE_ARGUMENTS);
            if (second_row) {
                plane[j + out_w] = gemm_epilogue(values[r][2][l], z, o, j + out_w, EPILOGUE_ARGUMENTS);
                if (second_column) {
                    plane[j + out_w + 1] = gemm_epilogue(values[r][3][l], z, o, j + out_w + 1, EPILOGUE_ARGUMENTS);
                }
            }
        }
        if (++tx == tiles_x) {
            tx = 0;
            if (++ty == tiles_y) {
                ty = 0;
                ++image;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// F(4×4, 3×3), the default: the CPU backend's transforms (CPU/CPUWinogradF4.swift, Lavin & Gray
// 2016). For the images [first, first + images) of a batch, with
// T = images·tilesY·tilesX tiles of 4×4 outputs (tile t = (n·tilesY + ty)·tilesX + tx):
//   U[ξ][o][c] = (G·g·Gᵀ)[ξ]          winograd4_input's extra work-items (first chunk only)
//   V[ξ][c][t] = (Bᵀ·d·B)[ξ]          winograd4_input, d the 6×6 input patch at (4ty − padY, 4tx − padX)
//   y = Aᵀ·(U[ξ]·V[ξ])·A              winograd4_product, with the product epilogue (bias, residual)
// ξ = 6i + j for row i and column j of the 6×6 transformed tile. The matrices:
//   G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
// Each combination adds and subtracts in the CPU backend's order.

// G·(a, b, c) into r[0…5].
inline void winograd4_filter_combinations(const float a, const float b, const float c, float* r) {
    const float sixth = 1.0f / 6.0f, outer = (a + c) * -sixth, inner = b * sixth;
    const float even = a * (1.0f / 24.0f) + c * sixth, odd = b * (1.0f / 12.0f);
    r[0] = a * 0.25f;
    r[1] = outer - inner;
    r[2] = outer + inner;
    r[3] = even + odd;
    r[4] = even - odd;
    r[5] = c;
}

// U[ξ][o][c] for every input channel c of output channel o (g: winograd_filter_taps).
inline void winograd4_filter_row(const __global float* w, __global float* u, const int o, const int out_channels,
                                 const int in_channels, const int flipped) {
    const long step = (long)out_channels * in_channels;
    for (int c = 0; c < in_channels; ++c) {
        float t[9];
        winograd_filter_taps(w, o, c, out_channels, in_channels, flipped, t);
        // columns[j][i] = (G·g)[i][j]: G applied to column j of g (taps j, 3 + j, 6 + j).
        float columns[3][6];
        for (int j = 0; j < 3; ++j) winograd4_filter_combinations(t[j], t[3 + j], t[6 + j], columns[j]);
        // Row i of (G·g)·Gᵀ is G applied to row i of G·g.
        __global float* base = u + (long)o * in_channels + c;
        for (int i = 0; i < 6; ++i) {
            float r[6];
            winograd4_filter_combinations(columns[0][i], columns[1][i], columns[2][i], r);
            for (int k = 0; k < 6; ++k) base[(long)(6 * i + k) * step] = r[k];
        }
    }
}

// Bᵀ·(d0 … d5) into out[0…5], for any vector type T (locals prefixed so that no argument names them).
#define WINOGRAD4_INPUT_ROWS(T, d0, d1, d2, d3, d4, d5, out)                                                 \
    {                                                                                                        \
        const T w4_sum12 = d1 + d2, w4_diff12 = d1 - d2, w4_diff42 = d4 - d2, w4_diff31 = d3 - d1;           \
        out[0] = 4.0f * d0 - 5.0f * d2 + d4;                                                                 \
        out[1] = (d3 + d4) - 4.0f * w4_sum12;                                                                \
        out[2] = (d4 - d3) + 4.0f * w4_diff12;                                                               \
        out[3] = w4_diff42 + 2.0f * w4_diff31;                                                               \
        out[4] = w4_diff42 - 2.0f * w4_diff31;                                                               \
        out[5] = 4.0f * d1 - 5.0f * d3 + d5;                                                                 \
    }

// Tiles per step of the input transform: eight tiles' values sit in the lanes of float8 vectors.
#define WINOGRAD4_LANES 8

// The zero-bordered plane in local memory is stored by column phase: pixel (row, 4X + k) of the
// padded plane at ((row·4 + k)·width + X), width = tilesX rounded up to 8, plus 1. Column k of
// tiles tx0 … tx0 + 7 (pixels 4·tx + k, k = 0…5) is then one contiguous float8 at X = tx0
// (k < 4) or X = tx0 + 1 (k = 4, 5, phases 0 and 1): no shuffles.
inline int winograd4_phase_width(int tiles_x) { return (tiles_x + 7) / 8 * 8 + 1; }

// V is stored in blocks of 16 tiles, V[t / 16][ξ][c][t % 16], so that winograd4_product reads one
// contiguous run per block (as winograd_packed_offset, with 36 matrices).
inline long winograd4_packed_offset(long t, int xi, int c, int channels) {
    return (((t >> 4) * 36 + xi) * channels + c) * 16 + (t & 15);
}

// Tile rows per group of eight lanes: 8 / tilesX for planes 1, 2 or 4 tiles wide (lane l is tile
// (ty + l / tilesX, l % tilesX), so every lane holds a tile), else 1 (lane l is tile (ty, tx0 + l)).
inline int winograd4_rows_per_group(int tiles_x) { return tiles_x == 1 || tiles_x == 2 || tiles_x == 4 ? 8 / tiles_x : 1; }

// The eight lanes of one pixel of the group's tiles: `s` points at the pixel in the first tile,
// `tile_row` floats separate one tile row from the next (4 pixel rows).
inline float8 winograd4_lanes(const __local float* s, const int tile_row, const int tiles_x) {
    if (tiles_x == 4) return (float8)(vload4(0, s), vload4(0, s + tile_row));
    if (tiles_x == 2) {
        return (float8)(vload2(0, s), vload2(0, s + tile_row), vload2(0, s + 2 * tile_row), vload2(0, s + 3 * tile_row));
    }
    if (tiles_x == 1) {
        return (float8)(s[0], s[tile_row], s[2 * tile_row], s[3 * tile_row], s[4 * tile_row], s[5 * tile_row],
                        s[6 * tile_row], s[7 * tile_row]);
    }
    return vload8(0, s);
}

// The transform of plane p for winograd4_input. The plane is copied into a zero border once, then
// each group of eight tiles forms Bᵀ·d column by column and ·B on the six transformed columns.
// With one tile row per group, eight-lane stores past a tile row's end land in the next tile row of
// the same plane, which this work-item writes afterwards (groups run right to left, rows top to
// bottom); stores that would leave the plane's tiles take the lane-by-lane path, and stores that
// cross a 16-tile block are split between the two blocks.
// geometry = (channels, height, width, padY, padX, tilesY, tilesX, first image).
inline void winograd4_input_plane(const __global float* input, __global float* v, const int8 g, const int p,
                                  __local float* padded) {
    const int channels = g.s0, height = g.s1, width = g.s2, pad_y = g.s3, pad_x = g.s4, tiles_y = g.s5, tiles_x = g.s6;
    const int c = p % channels, image = p / channels;
    const __global float* plane = input + ((long)g.s7 * channels + p) * height * width;
    const int group_rows = winograd4_rows_per_group(tiles_x);
    const int xw = winograd4_phase_width(tiles_x), pw = 4 * xw;
    const int ph = 4 * ((tiles_y + group_rows - 1) / group_rows * group_rows) + 2;
    for (int row = 0; row < ph; ++row) {
        __local float* target = padded + row * pw;
        const int sy = row - pad_y;
        const bool inside = sy >= 0 && sy < height;
        const __global float* source = plane + (long)sy * width - pad_x;
        for (int x = 0; x < pw; ++x) {
            const int sx = x - pad_x;
            target[(x & 3) * xw + (x >> 2)] = inside && sx >= 0 && sx < width ? source[x] : 0.0f;
        }
    }
    const int plane_tiles = tiles_y * tiles_x;
    const long plane_first = (long)image * plane_tiles;  // the plane's first tile in the chunk
    for (int ty = 0; ty < tiles_y; ty += group_rows) {
        const __local float* d = padded + 4 * ty * pw;
        for (int tx0 = (tiles_x - 1) / WINOGRAD4_LANES * WINOGRAD4_LANES; tx0 >= 0; tx0 -= WINOGRAD4_LANES) {
            // t[k][i] = (Bᵀ·d)[i] of column k of the eight tiles.
            float8 t[6][6];
            for (int k = 0; k < 6; ++k) {
                const __local float* s = d + (k & 3) * xw + tx0 + (k >> 2);
                const int r = 4 * pw;
                WINOGRAD4_INPUT_ROWS(float8, winograd4_lanes(s, r, tiles_x), winograd4_lanes(s + pw, r, tiles_x),
                                     winograd4_lanes(s + 2 * pw, r, tiles_x), winograd4_lanes(s + 3 * pw, r, tiles_x),
                                     winograd4_lanes(s + 4 * pw, r, tiles_x), winograd4_lanes(s + 5 * pw, r, tiles_x), t[k])
            }
            const int tile = ty * tiles_x + tx0;
            const int lanes = plane_tiles - tile >= WINOGRAD4_LANES ? WINOGRAD4_LANES
                              : group_rows > 1                      ? plane_tiles - tile
                                                                    : tiles_x - tx0;
            const long first_tile = plane_first + tile;  // tile index in the chunk
            // Lanes [0, split) go to first_tile's block, the rest to the next block.
            const int split = min(lanes, 16 - (int)(first_tile & 15));
            for (int i = 0; i < 6; ++i) {
                float8 r[6];
                WINOGRAD4_INPUT_ROWS(float8, t[0][i], t[1][i], t[2][i], t[3][i], t[4][i], t[5][i], r)
                __global float* o = v + winograd4_packed_offset(first_tile, 6 * i, c, channels);
                if (split == WINOGRAD4_LANES) {
                    for (int k = 0; k < 6; ++k) vstore8(r[k], 0, o + (long)16 * channels * k);
                } else {
                    __global float* next = v + winograd4_packed_offset(first_tile + split, 6 * i, c, channels);
                    for (int k = 0; k < 6; ++k) {
                        float lane[WINOGRAD4_LANES];
                        vstore8(r[k], 0, lane);
                        const long step = (long)16 * channels * k;
                        for (int l = 0; l < split; ++l) o[step + l] = lane[l];
                        for (int l = split; l < lanes; ++l) next[step + l - split] = lane[l];
                    }
                }
            }
        }
    }
}

// One work-item per plane p = local image·channels + c, then one per output channel for the filter
// transform (filter_rows of them: out_channels in the first chunk, 0 after): global
// (images·channels + filter_rows), local (1), so `padded` (local memory, (4·tilesY' + 2)·4 ×
// winograd4_phase_width floats, tilesY' = tilesY rounded up to whole groups) is the work-item's own.
// (Runs of several planes per work-item were measured slower for 7×7 planes and no faster for
// larger ones.)
__kernel void winograd4_input(const __global float* input, __global float* v, const int8 g, const int planes,
                              __local float* padded, const __global float* w, __global float* u,
                              const int out_channels, const int flipped, const int filter_rows) {
    const int p = get_global_id(0);
    if (p >= planes) {
        if (p - planes < filter_rows) winograd4_filter_row(w, u, p - planes, out_channels, g.s0, flipped);
        return;
    }
    winograd4_input_plane(input, v, g, p, padded);
}

// Output channels and tiles per work-item of winograd4_product: sgemm_cpu's block (gemm.cl).
#define WINOGRAD4_ROWS 6
#define WINOGRAD4_COLS 16

// Aᵀ·(m0 … m5) into out[0…3] (locals prefixed so that no argument names them).
#define WINOGRAD4_OUTPUT(m0, m1, m2, m3, m4, m5, out)                                                        \
    {                                                                                                        \
        const float16 w4_a = m1 + m2, w4_b = m1 - m2, w4_c = m3 + m4, w4_d = m3 - m4;                        \
        out[0] = m0 + w4_a + w4_c;                                                                           \
        out[1] = w4_b + 2.0f * w4_d;                                                                         \
        out[2] = w4_a + 4.0f * w4_c;                                                                         \
        out[3] = w4_b + 8.0f * w4_d + m5;                                                                    \
    }

// The products and the output transform in one pass: a work-item owns 6 output channels × 16
// consecutive tiles and runs M[ξ] = U[ξ]·V[ξ] for its block one ξ at a time in six float16
// accumulators over the input channels (sgemm_cpu's inner loop), keeping the 36 results in private
// memory; then y = Aᵀ·M·A per output channel (columns, then rows) and the stores with the epilogue.
// A block reads V[t0 / 16] front to back; lanes past the last tile read the last block's unwritten
// lanes (the buffer holds whole blocks) and are dropped; channels past the last repeat it.
// geometry = (outChannels, outHeight, outWidth, inChannels, 0, tilesY, tilesX, first image);
// global (ceil(outChannels/6) rounded up to 8, ceil(tiles/16)), local (8, 1).
__kernel void winograd4_product(const __global float* u, const __global float* v, __global float* out, const int8 g,
                                const int tiles, EPILOGUE_PARAMETERS) {
    const int ob = get_global_id(0), tb = get_global_id(1);
    const int out_channels = g.s0, out_h = g.s1, out_w = g.s2, in_channels = g.s3, tiles_y = g.s5, tiles_x = g.s6;
    const int o0 = ob * WINOGRAD4_ROWS, t0 = tb * WINOGRAD4_COLS;
    if (o0 >= out_channels || t0 >= tiles) return;
    const int rows = min(WINOGRAD4_ROWS, out_channels - o0);
    const int o1 = o0 + min(1, rows - 1), o2 = o0 + min(2, rows - 1), o3 = o0 + min(3, rows - 1);
    const int o4 = o0 + min(4, rows - 1), o5 = o0 + min(5, rows - 1);
    float16 m[36][WINOGRAD4_ROWS];
    for (int xi = 0; xi < 36; ++xi) {
        const __global float* b = v + winograd4_packed_offset(t0, xi, 0, in_channels);
        const __global float* a = u + (long)xi * out_channels * in_channels;
        const __global float *a0 = a + (long)o0 * in_channels, *a1 = a + (long)o1 * in_channels;
        const __global float *a2 = a + (long)o2 * in_channels, *a3 = a + (long)o3 * in_channels;
        const __global float *a4 = a + (long)o4 * in_channels, *a5 = a + (long)o5 * in_channels;
        float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        for (int c = 0; c < in_channels; ++c) {
            const float16 bv = vload16(c, b);
            c0 = fma((float16)(a0[c]), bv, c0);
            c1 = fma((float16)(a1[c]), bv, c1);
            c2 = fma((float16)(a2[c]), bv, c2);
            c3 = fma((float16)(a3[c]), bv, c3);
            c4 = fma((float16)(a4[c]), bv, c4);
            c5 = fma((float16)(a5[c]), bv, c5);
        }
        m[xi][0] = c0;
        m[xi][1] = c1;
        m[xi][2] = c2;
        m[xi][3] = c3;
        m[xi][4] = c4;
        m[xi][5] = c5;
    }
    // Tile t0's position; each row steps through the 16 tiles from it (no division per tile).
    const int plane_tiles = tiles_y * tiles_x, plane_size = out_h * out_w;
    const int image0 = t0 / plane_tiles;
    const int ty0 = (t0 - image0 * plane_tiles) / tiles_x;
    const int tx0 = t0 - image0 * plane_tiles - ty0 * tiles_x;
    const int lanes = min(WINOGRAD4_COLS, tiles - t0);
    for (int r = 0; r < rows; ++r) {
        // Aᵀ·M column by column into z[a][j], then ·A row by row into the 16 outputs of each tile.
        float16 z[4][6];
        for (int j = 0; j < 6; ++j) {
            float16 column[4];
            WINOGRAD4_OUTPUT(m[j][r], m[6 + j][r], m[12 + j][r], m[18 + j][r], m[24 + j][r], m[30 + j][r], column)
            for (int a = 0; a < 4; ++a) z[a][j] = column[a];
        }
        float values[16][WINOGRAD4_COLS];  // values[4·row + column][tile]
        for (int a = 0; a < 4; ++a) {
            float16 y[4];
            WINOGRAD4_OUTPUT(z[a][0], z[a][1], z[a][2], z[a][3], z[a][4], z[a][5], y)
            for (int q = 0; q < 4; ++q) vstore16(y[q], 0, values[4 * a + q]);
        }
        const int o = o0 + r;
        int image = image0, ty = ty0, tx = tx0;
        for (int l = 0; l < lanes; ++l) {
            const int zi = g.s7 + image, oy = 4 * ty, ox = 4 * tx;
            __global float* plane = out + ((long)zi * out_channels + o) * plane_size;
            const int row_count = min(4, out_h - oy), column_count = min(4, out_w - ox);
            for (int a = 0; a < row_count; ++a) {
                for (int q = 0; q < column_count; ++q) {
                    const int j = (oy + a) * out_w + ox + q;
                    plane[j] = gemm_epilogue(values[4 * a + q][l], zi, o, j, EPILOGUE_ARGUMENTS);
                }
            }
            if (++tx == tiles_x) {
                tx = 0;
                if (++ty == tiles_y) {
                    ty = 0;
                    ++image;
                }
            }
        }
    }
}
