// Elementwise backward kernels, softmax backward, dropout, one-hot and BCE with logits.
// Semantics: PrimitiveKernels.swift and FusedKernels.swift; CPU twin: CPU/Backward.swift and CPU/BackwardFunctors.swift.

// ---------------------------------------------------------------- unary backward
// gradIn = g·op′(x), one kernel per op; 4 elements per work-item with a scalar tail. T is float
// or float4. abs′(0) = relu′(0) = 0 as in PyTorch.

#define UNARY_BACKWARD_KERNEL(NAME, F)                                                                    \
    __kernel void unary_backward_##NAME(const __global float* xs, const __global float* gs,               \
                                        __global float* out, const int count) {                           \
        int i = get_global_id(0) * 4;                                                                     \
        if (i + 3 < count) {                                                                              \
            const float4 x = vload4(0, xs + i), g = vload4(0, gs + i);                                    \
            vstore4(F(float4, x, g), 0, out + i);                                                         \
        } else {                                                                                          \
            for (; i < count; ++i) {                                                                      \
                const float x = xs[i], g = gs[i];                                                         \
                out[i] = F(float, x, g);                                                                  \
            }                                                                                             \
        }                                                                                                 \
    }

#define SIGMOID(T, x) ((T)(1.0f) / ((T)(1.0f) + exp(-(x))))

#define GRAD_NEG(T, x, g) (-(g))
#define GRAD_ABS(T, x, g) select(select((T)(0.0f), -(g), (x) < (T)(0.0f)), (g), (x) > (T)(0.0f))
#define GRAD_EXP(T, x, g) ((g) * exp(x))
#define GRAD_LOG(T, x, g) ((g) / (x))
#define GRAD_SQRT(T, x, g) ((g) * (T)(0.5f) / sqrt(x))
#define GRAD_RSQRT(T, x, g) ((T)(-0.5f) * (g) / ((x) * sqrt(x)))
#define GRAD_SQUARE(T, x, g) ((T)(2.0f) * (x) * (g))
#define GRAD_TANH(T, x, g) ((g) * ((T)(1.0f) - tanh(x) * tanh(x)))
#define GRAD_SIGMOID(T, x, g) ((g) * SIGMOID(T, x) * ((T)(1.0f) - SIGMOID(T, x)))
#define GRAD_RELU(T, x, g) select((T)(0.0f), (g), (x) > (T)(0.0f))
#define GRAD_SILU(T, x, g) ((g) * SIGMOID(T, x) * ((T)(1.0f) + (x) * ((T)(1.0f) - SIGMOID(T, x))))
#define GRAD_GELU(T, x, g)                                                                                 \
    ((g) * ((T)(0.5f) * ((T)(1.0f) + erf((x) * (T)(0.70710678118654752f)))                                \
            + (x) * exp((T)(-0.5f) * (x) * (x)) * (T)(0.39894228040143268f)))
#define GRAD_SIN(T, x, g) ((g) * cos(x))
#define GRAD_COS(T, x, g) (-(g) * sin(x))

UNARY_BACKWARD_KERNEL(neg, GRAD_NEG)
UNARY_BACKWARD_KERNEL(abs, GRAD_ABS)
UNARY_BACKWARD_KERNEL(exp, GRAD_EXP)
UNARY_BACKWARD_KERNEL(log, GRAD_LOG)
UNARY_BACKWARD_KERNEL(sqrt, GRAD_SQRT)
UNARY_BACKWARD_KERNEL(rsqrt, GRAD_RSQRT)
UNARY_BACKWARD_KERNEL(square, GRAD_SQUARE)
UNARY_BACKWARD_KERNEL(tanh, GRAD_TANH)
UNARY_BACKWARD_KERNEL(sigmoid, GRAD_SIGMOID)
UNARY_BACKWARD_KERNEL(relu, GRAD_RELU)
UNARY_BACKWARD_KERNEL(silu, GRAD_SILU)
UNARY_BACKWARD_KERNEL(gelu, GRAD_GELU)
UNARY_BACKWARD_KERNEL(sin, GRAD_SIN)
UNARY_BACKWARD_KERNEL(cos, GRAD_COS)

// ---------------------------------------------------------------- softmax backward
// One work-item per row. softmax: gradIn = y·(g − Σ g·y); log-softmax: gradIn = g − exp(y)·Σ g.
// Row sums: float4 partials over 1024 columns, added with compensation.

inline float backward_row_sum(const __global float* a, const __global float* b, int n, int with_product) {
    float sum = 0.0f, carry = 0.0f;
    for (int start = 0; start < n; start += 1024) {
        const int end = min(n, start + 1024);
        float4 acc = (float4)(0.0f);
        int i = start;
        for (; i + 3 < end; i += 4) acc += with_product ? vload4(0, a + i) * vload4(0, b + i) : vload4(0, a + i);
        float part = (acc.s0 + acc.s1) + (acc.s2 + acc.s3);
        for (; i < end; ++i) part += with_product ? a[i] * b[i] : a[i];
        const float y = part - carry;
        const float t = sum + y;
        carry = (t - sum) - y;
        sum = t;
    }
    return sum;
}

__kernel void softmax_backward(const __global float* y, const __global float* g, __global float* out,
                               const int rows, const int columns) {
    const int row = get_global_id(0);
    if (row >= rows) return;
    const long o = (long)row * columns;
    const float dot = backward_row_sum(g + o, y + o, columns, 1);
    for (int j = 0; j < columns; ++j) out[o + j] = y[o + j] * (g[o + j] - dot);
}

__kernel void log_softmax_backward(const __global float* y, const __global float* g, __global float* out,
                                   const int rows, const int columns) {
    const int row = get_global_id(0);
    if (row >= rows) return;
    const long o = (long)row * columns;
    const float total = backward_row_sum(g + o, g + o, columns, 0);
    for (int j = 0; j < columns; ++j) out[o + j] = g[o + j] - exp(y[o + j]) * total;
}

// ---------------------------------------------------------------- dropout
// The uniform stream of Kernels/random.cl (Philox from Kernels/common.cl). Element e = offset + i uses Philox4x32-10 block e / 4, lane e % 4, counter
// (block_lo, block_hi, 0, 0), key (seed_lo, seed_hi); uniform = (word >> 8)·2⁻²⁴.

// out[i] = uniform(seed, offset + i) ≥ p ? x[i]·scale : 0, scale = 1/(1 − p) rounded on the host.
// One work-item per Philox block (up to 4 elements): work-item k serves block (offset / 4) + k.
__kernel void dropout(const __global float* x, __global float* out, const int count, const float probability,
                      const float scale, const uint seed_lo, const uint seed_hi, const uint offset_lo,
                      const uint offset_hi) {
    const ulong offset = ((ulong)offset_hi << 32) | (ulong)offset_lo;
    const ulong block = (offset >> 2) + (ulong)get_global_id(0);
    const ulong first = block << 2;
    if (first >= offset + (ulong)count) return;
    const uint4 w = philox_words(seed_lo, seed_hi, block);
    const uint words[4] = {w.s0, w.s1, w.s2, w.s3};
    for (uint lane = 0; lane < 4u; ++lane) {
        const ulong e = first + lane;
        if (e < offset || e >= offset + (ulong)count) continue;
        const long i = (long)(e - offset);
        const float u = (float)(words[lane] >> 8) * 0x1p-24f;
        out[i] = u >= probability ? x[i] * scale : 0.0f;
    }
}

// ---------------------------------------------------------------- one-hot, BCE

// One work-item per output element: out[i·classes + c] = indices[i] == c.
__kernel void one_hot(const __global int* indices, __global float* out, const int count, const int classes) {
    const int c = get_global_id(0), i = get_global_id(1);
    if (c >= classes || i >= count) return;
    out[(long)i * classes + c] = indices[i] == c ? 1.0f : 0.0f;
}

// out = max(x, 0) − x·t + log(1 + exp(−|x|)).
__kernel void bce_with_logits(const __global float* logits, const __global float* targets, __global float* out,
                              const int count) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float x = logits[i];
    out[i] = fmax(x, 0.0f) - x * targets[i] + log1p(exp(-fabs(x)));
}
