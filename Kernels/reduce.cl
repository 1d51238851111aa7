// Reductions over x viewed as [outer, length, inner] and row softmax. Semantics: PrimitiveKernels.swift.
//
// Every reduction is a state that covers a set of elements: a work-item computes the state of its
// elements (two passes where that is more accurate), states merge, and `final` turns one into the
// output. Three kernels per op (NAME = op name from Ops.swift):
//   reduce_NAME          one work-item per output, loops over the whole axis;
//   reduce_partial_NAME  range (chunks, outputs): each work-item reduces one chunk of the axis;
//   reduce_combine_NAME  one work-item per output merges its chunks' states.
// The host picks chunks so that there are enough work-items (whole-tensor sums use 2 stages).

typedef struct {
    float a;  // sum | extreme | max (logsumexp) | mean (variance)
    float b;  // sum of exp(x - a) (logsumexp) | M2 (variance)
    float c;  // unused
    int n;    // index (arg ops, -1 = none) | element count (variance)
} rstate;

inline rstate make_state(float a, float b, int n) {
    rstate s;
    s.a = a;
    s.b = b;
    s.c = 0.0f;
    s.n = n;
    return s;
}

// Elements are x[(begin + k * step) * inner] for k < count; `begin + k * step` is their axis index j.
#define ELEMENT(k) x[(begin + (k) * step) * inner]

// RESULT = sum of EXPR (a function of the element v) over the item's elements, summed in blocks of
// 256 with four accumulators: the error grows with 256 + count/256 instead of count, and the
// independent accumulators keep CPU pipelines busy.
#define BLOCKED_SUM(RESULT, EXPR)                                   \
    float RESULT = 0.0f;                                            \
    for (int start = 0; start < count; start += 256) {              \
        const int end = min(count, start + 256);                    \
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;           \
        int k = start;                                              \
        for (; k + 3 < end; k += 4) {                               \
            float v = ELEMENT(k);                                   \
            s0 += EXPR;                                             \
            v = ELEMENT(k + 1);                                     \
            s1 += EXPR;                                             \
            v = ELEMENT(k + 2);                                     \
            s2 += EXPR;                                             \
            v = ELEMENT(k + 3);                                     \
            s3 += EXPR;                                             \
        }                                                           \
        for (; k < end; ++k) {                                      \
            const float v = ELEMENT(k);                             \
            s0 += EXPR;                                             \
        }                                                           \
        RESULT += (s0 + s1) + (s2 + s3);                            \
    }

// ---- sum and mean
inline rstate sum_item(const __global float* x, int inner, int begin, int step, int count) {
    BLOCKED_SUM(s, v)
    return make_state(s, 0.0f, 0);
}
inline rstate sum_merge(rstate p, rstate q) { return make_state(p.a + q.a, 0.0f, 0); }
inline float sum_final(rstate s, int length) { return s.a; }
#define mean_item sum_item
#define mean_merge sum_merge
inline float mean_final(rstate s, int length) { return s.a / (float)length; }

// ---- max and min (NaN-ignoring like fmax)
inline rstate max_item(const __global float* x, int inner, int begin, int step, int count) {
    float m = -INFINITY;
    for (int k = 0; k < count; ++k) m = fmax(m, ELEMENT(k));
    return make_state(m, 0.0f, 0);
}
inline rstate max_merge(rstate p, rstate q) { return make_state(fmax(p.a, q.a), 0.0f, 0); }
inline float max_final(rstate s, int length) { return s.a; }
inline rstate min_item(const __global float* x, int inner, int begin, int step, int count) {
    float m = INFINITY;
    for (int k = 0; k < count; ++k) m = fmin(m, ELEMENT(k));
    return make_state(m, 0.0f, 0);
}
inline rstate min_merge(rstate p, rstate q) { return make_state(fmin(p.a, q.a), 0.0f, 0); }
inline float min_final(rstate s, int length) { return s.a; }

// ---- argmax and argmin: the first index of the extreme value
inline rstate argmax_item(const __global float* x, int inner, int begin, int step, int count) {
    if (count <= 0) return make_state(-INFINITY, 0.0f, -1);
    float m = ELEMENT(0);
    int index = begin;
    for (int k = 1; k < count; ++k) {
        const float v = ELEMENT(k);
        if (v > m) { m = v; index = begin + k * step; }
    }
    return make_state(m, 0.0f, index);
}
inline rstate argmax_merge(rstate p, rstate q) {
    if (p.n < 0) return q;
    if (q.n < 0) return p;
    return (q.a > p.a || (q.a == p.a && q.n < p.n)) ? q : p;
}
inline int argmax_final(rstate s, int length) { return max(s.n, 0); }
inline rstate argmin_item(const __global float* x, int inner, int begin, int step, int count) {
    if (count <= 0) return make_state(INFINITY, 0.0f, -1);
    float m = ELEMENT(0);
    int index = begin;
    for (int k = 1; k < count; ++k) {
        const float v = ELEMENT(k);
        if (v < m) { m = v; index = begin + k * step; }
    }
    return make_state(m, 0.0f, index);
}
inline rstate argmin_merge(rstate p, rstate q) {
    if (p.n < 0) return q;
    if (q.n < 0) return p;
    return (q.a < p.a || (q.a == p.a && q.n < p.n)) ? q : p;
}
inline int argmin_final(rstate s, int length) { return max(s.n, 0); }

// ---- logsumexp: (max, sum of exp(x - max)), merged by rescaling to the larger max
inline rstate logsumexp_item(const __global float* x, int inner, int begin, int step, int count) {
    float m = -INFINITY;
    for (int k = 0; k < count; ++k) m = fmax(m, ELEMENT(k));
    if (m == -INFINITY) return make_state(m, 0.0f, 0);
    BLOCKED_SUM(s, exp(v - m))
    return make_state(m, s, 0);
}
inline rstate logsumexp_merge(rstate p, rstate q) {
    const float m = fmax(p.a, q.a);
    if (m == -INFINITY) return make_state(m, 0.0f, 0);
    return make_state(m, p.b * exp(p.a - m) + q.b * exp(q.a - m), 0);
}
inline float logsumexp_final(rstate s, int length) { return s.a == -INFINITY ? -INFINITY : s.a + log(s.b); }

// ---- variance (population): (count, mean, M2), two passes per item, Chan's merge
inline rstate variance_item(const __global float* x, int inner, int begin, int step, int count) {
    if (count <= 0) return make_state(0.0f, 0.0f, 0);
    BLOCKED_SUM(s, v)
    const float mean = s / (float)count;
    BLOCKED_SUM(m2, (v - mean) * (v - mean))
    return make_state(mean, m2, count);
}
inline rstate variance_merge(rstate p, rstate q) {
    if (p.n == 0) return q;
    if (q.n == 0) return p;
    const int n = p.n + q.n;
    const float d = q.a - p.a;
    const float w = (float)q.n / (float)n;
    return make_state(p.a + d * w, p.b + q.b + d * d * (float)p.n * w, n);
}
inline float variance_final(rstate s, int length) { return s.b / (float)length; }

#define REDUCE_KERNELS(NAME, OUT_T)                                                                   \
    __kernel void reduce_##NAME(const __global float* x, __global OUT_T* out, const int length,      \
                                const int inner, const int outputs) {                                \
        const int g = get_global_id(0);                                                              \
        if (g >= outputs) return;                                                                    \
        const int o = g / inner, i = g - o * inner;                                                  \
        out[g] = NAME##_final(NAME##_item(x + o * length * inner + i, inner, 0, 1, length), length); \
    }                                                                                                \
    __kernel void reduce_partial_##NAME(const __global float* x, __global rstate* partials,          \
                                        const int length, const int inner, const int outputs,        \
                                        const int chunk_length, const int interleaved) {             \
        const int c = get_global_id(0), g = get_global_id(1);                                        \
        const int chunks = get_global_size(0);                                                       \
        if (g >= outputs) return;                                                                    \
        const int o = g / inner, i = g - o * inner;                                                  \
        int begin, step, count;                                                                      \
        if (interleaved) {                                                                           \
            begin = c;                                                                               \
            step = chunks;                                                                           \
            count = c < length ? (length - c + chunks - 1) / chunks : 0;                             \
        } else {                                                                                     \
            begin = c * chunk_length;                                                                \
            step = 1;                                                                                \
            count = clamp(length - begin, 0, chunk_length);                                          \
        }                                                                                            \
        partials[g * chunks + c] = NAME##_item(x + o * length * inner + i, inner, begin, step, count); \
    }                                                                                                \
    __kernel void reduce_combine_##NAME(const __global rstate* partials, __global OUT_T* out,        \
                                        const int chunks, const int length, const int outputs) {     \
        const int g = get_global_id(0);                                                              \
        if (g >= outputs) return;                                                                    \
        rstate s = partials[g * chunks];                                                             \
        for (int c = 1; c < chunks; ++c) s = NAME##_merge(s, partials[g * chunks + c]);              \
        out[g] = NAME##_final(s, length);                                                            \
    }

REDUCE_KERNELS(sum, float)
REDUCE_KERNELS(mean, float)
REDUCE_KERNELS(max, float)
REDUCE_KERNELS(min, float)
REDUCE_KERNELS(argmax, int)
REDUCE_KERNELS(argmin, int)
REDUCE_KERNELS(logsumexp, float)
REDUCE_KERNELS(variance, float)

// CPU variant for inner > 1 (sum, mean, max, min): a work-item reduces 16 neighbouring columns
// (i) with one vector accumulator, so every step reads a whole cache line; range (ceil(inner/16), outer).
#define COLUMN_BLOCKS(T, LOAD)                                                                   \
    T total = INIT(T);                                                                           \
    for (int start = 0; start < length; start += 256) {                                         \
        const int end = min(length, start + 256);                                                \
        T acc = INIT(T);                                                                         \
        for (int j = start; j < end; ++j) acc = COMBINE(acc, LOAD);                              \
        total = COMBINE(total, acc);                                                             \
    }
#define COLUMN_KERNEL(NAME)                                                                      \
    __kernel void reduce_columns_##NAME(const __global float* x, __global float* out,            \
                                        const int length, const int inner, const int outer) {    \
        const int i = get_global_id(0) * 16, o = get_global_id(1);                               \
        if (i >= inner || o >= outer) return;                                                    \
        const __global float* base = x + o * length * inner + i;                                 \
        if (i + 15 < inner) {                                                                    \
            COLUMN_BLOCKS(float16, vload16(0, base + j * inner))                                 \
            vstore16(FINISH(total), 0, out + o * inner + i);                                     \
        } else {                                                                                 \
            for (int c = 0; i + c < inner; ++c) {                                                \
                COLUMN_BLOCKS(float, base[j * inner + c])                                        \
                out[o * inner + i + c] = FINISH(total);                                          \
            }                                                                                    \
        }                                                                                        \
    }

#define INIT(T) ((T)(0.0f))
#define COMBINE(a, b) ((a) + (b))
#define FINISH(v) (v)
COLUMN_KERNEL(sum)
#undef FINISH
#define FINISH(v) ((v) / (float)length)
COLUMN_KERNEL(mean)
#undef INIT
#undef COMBINE
#undef FINISH
#define INIT(T) ((T)(-INFINITY))
#define COMBINE(a, b) fmax(a, b)
#define FINISH(v) (v)
COLUMN_KERNEL(max)
#undef INIT
#undef COMBINE
#define INIT(T) ((T)(INFINITY))
#define COMBINE(a, b) fmin(a, b)
COLUMN_KERNEL(min)
#undef INIT
#undef COMBINE
#undef FINISH

// ---------------------------------------------------------------- softmax over rows

// One work-item per row: max, then sum of exponentials, then the normalised row. Rows are read as
// float8 vectors (any alignment) with a scalar tail, so CPU devices run vector exp.
inline float hsum8(const float8 v) {
    const float4 h = v.lo + v.hi;
    return (h.s0 + h.s1) + (h.s2 + h.s3);
}
inline float hmax8(const float8 v) {
    const float4 h = fmax(v.lo, v.hi);
    return fmax(fmax(h.s0, h.s1), fmax(h.s2, h.s3));
}

__kernel void softmax_rows(const __global float* x, __global float* out, const int rows, const int columns,
                           const int log_softmax) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const __global float* row = x + r * columns;
    __global float* target = out + r * columns;
    const int vectors = columns / 8, tail = vectors * 8;
    float8 m8 = (float8)(-INFINITY);
    for (int q = 0; q < vectors; ++q) m8 = fmax(m8, vload8(q, row));
    float m = hmax8(m8);
    for (int j = tail; j < columns; ++j) m = fmax(m, row[j]);
    float8 s8 = (float8)(0.0f);
    float s = 0.0f;
    if (log_softmax) {
        for (int q = 0; q < vectors; ++q) s8 += exp(vload8(q, row) - m);
        for (int j = tail; j < columns; ++j) s += exp(row[j] - m);
        const float shift = m + log(hsum8(s8) + s);
        for (int q = 0; q < vectors; ++q) vstore8(vload8(q, row) - shift, q, target);
        for (int j = tail; j < columns; ++j) target[j] = row[j] - shift;
    } else {
        for (int q = 0; q < vectors; ++q) {
            const float8 e = exp(vload8(q, row) - m);
            vstore8(e, q, target);
            s8 += e;
        }
        for (int j = tail; j < columns; ++j) {
            const float e = exp(row[j] - m);
            target[j] = e;
            s += e;
        }
        const float inverse = 1.0f / (hsum8(s8) + s);
        for (int q = 0; q < vectors; ++q) vstore8(vload8(q, target) * inverse, q, target);
        for (int j = tail; j < columns; ++j) target[j] *= inverse;
    }
}

// One work-group per row (for few, long rows): tree reductions in local memory.
// The local size must be a power of two; `scratch` holds one float per work-item.
__kernel void softmax_group(const __global float* x, __global float* out, const int columns,
                            const int log_softmax, __local float* scratch) {
    const int r = get_group_id(0), lid = get_local_id(0), size = get_local_size(0);
    const __global float* row = x + r * columns;
    __global float* target = out + r * columns;
    float m = -INFINITY;
    for (int j = lid; j < columns; j += size) m = fmax(m, row[j]);
    scratch[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = size / 2; width > 0; width /= 2) {
        if (lid < width) scratch[lid] = fmax(scratch[lid], scratch[lid + width]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float s = 0.0f;
    for (int j = lid; j < columns; j += size) s += exp(row[j] - m);
    scratch[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = size / 2; width > 0; width /= 2) {
        if (lid < width) scratch[lid] += scratch[lid + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    s = scratch[0];
    if (log_softmax) {
        const float shift = m + log(s);
        for (int j = lid; j < columns; j += size) target[j] = row[j] - shift;
    } else {
        const float inverse = 1.0f / s;
        for (int j = lid; j < columns; j += size) target[j] = exp(row[j] - m) * inverse;
    }
}
