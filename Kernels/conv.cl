// Convolution helpers: im2col and its adjoint col2im. Semantics: PrimitiveKernels.swift (im2col, col2im) and FusedKernels.swift.
// cols[n, (c·kh + i)·kw + j, oy·outW + ox] = input[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 in padding).
// Both kernels run on a 3-D range with no divisions in the inner index math: the last output axis
// is dimension 0 (adjacent work-items touch adjacent addresses), and every id is guarded.
// geometry = (channels, height, width, kh, kw, sh, sw, ph) and geometry2 = (pw, dh, dw, outH, outW).

// One work-item per column entry: global (outW, outH, batch·channels·kh·kw).
__kernel void im2col(const __global float* input, __global float* cols, const int8 geometry, const int8 geometry2,
                     const int rows) {
    const int ox = get_global_id(0), oy = get_global_id(1), r = get_global_id(2);
    const int height = geometry.s1, width = geometry.s2, kh = geometry.s3, kw = geometry.s4;
    const int outH = geometry2.s3, outW = geometry2.s4;
    if (ox >= outW || oy >= outH || r >= rows) return;
    const int j = r % kw, i = (r / kw) % kh, image = r / (kw * kh);
    const int y = oy * geometry.s5 - geometry.s7 + i * geometry2.s1;
    const int x = ox * geometry.s6 - geometry2.s0 + j * geometry2.s2;
    float value = 0.0f;
    if (y >= 0 && y < height && x >= 0 && x < width) value = input[(image * height + y) * width + x];
    cols[(r * outH + oy) * outW + ox] = value;
}

// One work-item per input pixel (gather form, no atomics): global (width, height, batch·channels).
// The pixel sums, in (i, j) order, every column entry whose window reads it, like the CPU kernel.
__kernel void col2im(const __global float* cols, __global float* input, const int8 geometry, const int8 geometry2,
                     const int planes) {
    const int x = get_global_id(0), y = get_global_id(1), p = get_global_id(2);
    const int height = geometry.s1, width = geometry.s2, kh = geometry.s3, kw = geometry.s4;
    const int sh = geometry.s5, sw = geometry.s6, ph = geometry.s7;
    const int pw = geometry2.s0, dh = geometry2.s1, dw = geometry2.s2, outH = geometry2.s3, outW = geometry2.s4;
    if (x >= width || y >= height || p >= planes) return;
    float sum = 0.0f;
    for (int i = 0; i < kh; ++i) {
        const int ty = y + ph - i * dh;  // = oy·sh
        if (ty < 0) break;               // grows more negative with i
        const int oy = ty / sh;
        if (oy * sh != ty || oy >= outH) continue;
        const __global float* row = cols + (long)((p * kh + i) * kw) * (outH * outW) + oy * outW;
        for (int j = 0; j < kw; ++j) {
            const int tx = x + pw - j * dw;
            if (tx < 0) break;
            const int ox = tx / sw;
            if (ox * sw != tx || ox >= outW) continue;
            sum += row[(long)j * (outH * outW) + ox];
        }
    }
    input[(p * height + y) * width + x] = sum;
}

// CPU-device variants (PoCL): one work-item per output row, straight loops the compiler vectorises.

// One work-item per (oy, column row r): global (outH, batch·channels·kh·kw). Zero borders, then a
// copy of the input pixels inside the image (contiguous when the x stride is 1).
__kernel void im2col_rows(const __global float* input, __global float* cols, const int8 geometry, const int8 geometry2,
                          const int rows) {
    const int oy = get_global_id(0), r = get_global_id(1);
    const int height = geometry.s1, width = geometry.s2, kh = geometry.s3, kw = geometry.s4, sw = geometry.s6;
    const int outH = geometry2.s3, outW = geometry2.s4;
    if (oy >= outH || r >= rows) return;
    const int j = r % kw, i = (r / kw) % kh, image = r / (kw * kh);
    const int y = oy * geometry.s5 - geometry.s7 + i * geometry2.s1;
    const int x0 = j * geometry2.s2 - geometry2.s0;  // x of ox = 0
    __global float* out = cols + ((long)r * outH + oy) * outW;
    // Valid ox: 0 <= ox·sw + x0 < width.
    int low = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
    int high = width - 1 - x0 < 0 ? 0 : min(outW, (width - 1 - x0) / sw + 1);
    if (y < 0 || y >= height) high = 0;
    low = min(low, high);
    for (int ox = 0; ox < low; ++ox) out[ox] = 0.0f;
    const __global float* line = input + ((long)image * height + (y < 0 ? 0 : y)) * width;
    if (sw == 1) {
        for (int ox = low; ox < high; ++ox) out[ox] = line[ox + x0];
    } else {
        for (int ox = low; ox < high; ++ox) out[ox] = line[ox * sw + x0];
    }
    for (int ox = high; ox < outW; ++ox) out[ox] = 0.0f;
}

// One work-item per input row (y, plane p): global (height, batch·channels). The row is zeroed and
// then accumulated tap by tap in (i, j) order, so each pixel sums in the same order as col2im.
__kernel void col2im_rows(const __global float* cols, __global float* input, const int8 geometry, const int8 geometry2,
                          const int planes) {
    const int y = get_global_id(0), p = get_global_id(1);
    const int height = geometry.s1, width = geometry.s2, kh = geometry.s3, kw = geometry.s4;
    const int sh = geometry.s5, sw = geometry.s6, ph = geometry.s7;
    const int pw = geometry2.s0, dh = geometry2.s1, dw = geometry2.s2, outH = geometry2.s3, outW = geometry2.s4;
    if (y >= height || p >= planes) return;
    __global float* line = input + ((long)p * height + y) * width;
    for (int x = 0; x < width; ++x) line[x] = 0.0f;
    for (int i = 0; i < kh; ++i) {
        const int ty = y + ph - i * dh;
        if (ty < 0) break;
        const int oy = ty / sh;
        if (oy * sh != ty || oy >= outH) continue;
        for (int j = 0; j < kw; ++j) {
            const __global float* values = cols + ((long)((p * kh + i) * kw + j) * outH + oy) * outW;
            const int x0 = j * dw - pw;
            const int low = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
            const int high = width - 1 - x0 < 0 ? 0 : min(outW, (width - 1 - x0) / sw + 1);
            if (sw == 1) {
                for (int ox = low; ox < high; ++ox) line[ox + x0] += values[ox];
            } else {
                for (int ox = low; ox < high; ++ox) line[ox * sw + x0] += values[ox];
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Winograd F(2×2, 3×3) for 3×3 windows, stride 1, dilation 1, padding 0…2 (CPU devices, PoCL,
// under LATENT_OPENCL_WINOGRAD=2; the default is F(4×4), Kernels/winograd4.cl): the CPU backend's
// F(2×2) (CPU/CPUWinogradF2.swift) in two launches. For the images
// [first, first + images) of a batch, with T = images·tilesY·tilesX tiles (tile t = (n·tilesY + ty)·tilesX + tx):
//   U[ξ][o][c] = (G·g·Gᵀ)[ξ]          winograd_input's extra work-items (first chunk only)
//   V[ξ][c][t] = (Bᵀ·d·B)[ξ]          winograd_input, d the 4×4 input patch at (2ty − padY, 2tx − padX)
//   y = Aᵀ·(U[ξ]·V[ξ])·A              winograd_product, with the product epilogue (bias, residual)
// The input and filter transforms add and subtract in the CPU backend's order.

// U[ξ][o][c] for c < in_channels of output channel o. With `flipped`, g is filter [c, o] of
// weights [in, out, 3, 3] rotated by 180° (the backward-data filters).
inline void winograd_filter_row(const __global float* w, __global float* u, const int o, const int out_channels,
                                const int in_channels, const int flipped) {
    const long step = (long)out_channels * in_channels;
    for (int c = 0; c < in_channels; ++c) {
        float t[9];
        for (int k = 0; k < 9; ++k) {
            t[k] = flipped ? w[((long)c * out_channels + o) * 9 + 8 - k] : w[((long)o * in_channels + c) * 9 + k];
        }
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
