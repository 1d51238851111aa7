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
