// Group normalization (LayerNorm is groups = 1, spatial = 1). Semantics: FusedKernels.swift.
// x is [batch, channels, spatial]; block b = n·groups + g is the contiguous run of
// size = (channels/groups)·spatial elements of sample n and group g.
// One work-item per (n, g) block (per channel for the parameter gradients): simple loops that suit
// CPU devices; sums are two-pass and blocked (float4 partials over 1024 elements, then a
// compensated sum of the partials), so no fp64 is needed.

// Kahan-compensated accumulation of `value` into (*sum, *carry).
inline void kahan_add(float* sum, float* carry, float value) {
    const float y = value - *carry;
    const float t = *sum + y;
    *carry = (t - *sum) - y;
    *sum = t;
}

inline float hsum4(float4 v) { return (v.s0 + v.s1) + (v.s2 + v.s3); }

// Σ p[i] for i < n.
inline float blocked_sum(const __global float* p, int n) {
    float sum = 0.0f, carry = 0.0f;
    for (int start = 0; start < n; start += 1024) {
        const int end = min(n, start + 1024);
        float4 acc = (float4)(0.0f);
        int i = start;
        for (; i + 3 < end; i += 4) acc += vload4(0, p + i);
        float part = hsum4(acc);
        for (; i < end; ++i) part += p[i];
        kahan_add(&sum, &carry, part);
    }
    return sum;
}

// Σ (p[i] − m)² for i < n.
inline float blocked_square_deviation(const __global float* p, int n, float m) {
    float sum = 0.0f, carry = 0.0f;
    for (int start = 0; start < n; start += 1024) {
        const int end = min(n, start + 1024);
        float4 acc = (float4)(0.0f);
        int i = start;
        for (; i + 3 < end; i += 4) {
            const float4 d = vload4(0, p + i) - m;
            acc += d * d;
        }
        float part = hsum4(acc);
        for (; i < end; ++i) part += (p[i] - m) * (p[i] - m);
        kahan_add(&sum, &carry, part);
    }
    return sum;
}

// Σ dy[i]·(x[i] − m) for i < n.
inline float blocked_gradient_deviation(const __global float* dy, const __global float* x, int n, float m) {
    float sum = 0.0f, carry = 0.0f;
    for (int start = 0; start < n; start += 1024) {
        const int end = min(n, start + 1024);
        float4 acc = (float4)(0.0f);
        int i = start;
        for (; i + 3 < end; i += 4) acc += vload4(0, dy + i) * (vload4(0, x + i) - m);
        float part = hsum4(acc);
        for (; i < end; ++i) part += dy[i] * (x[i] - m);
        kahan_add(&sum, &carry, part);
    }
    return sum;
}

// Global (batch·groups).
__kernel void group_norm(const __global float* x, const __global float* gamma, const __global float* beta,
                         __global float* out, __global float* mean, __global float* rstd,
                         const int batch, const int channels_, const int spatial_, const int groups_,
                         const float epsilon) {
    const int block = get_global_id(0);
    const int spatial = spatial_, groups = groups_, per_group = channels_ / groups, size = per_group * spatial;
    if (block >= batch * groups) return;
    const __global float* xs = x + (long)block * size;
    __global float* os = out + (long)block * size;
    const int c0 = (block % groups) * per_group;
    const float m = blocked_sum(xs, size) / (float)size;
    const float variance = blocked_square_deviation(xs, size, m) / (float)size;
    const float r = 1.0f / sqrt(variance + epsilon);
    mean[block] = m;
    rstd[block] = r;
    for (int c = 0; c < per_group; ++c) {
        const float scale = r * gamma[c0 + c], shift = beta[c0 + c];
        const __global float* xc = xs + c * spatial;
        __global float* oc = os + c * spatial;
        for (int s = 0; s < spatial; ++s) oc[s] = (xc[s] - m) * scale + shift;
    }
}

// gradX for one (n, g) block: rstd·γ·dy − rstd³·Σγ·dy·(x − m)/size·(x − m) − rstd·Σγ·dy/size.
// Global (batch·groups).
__kernel void group_norm_backward_input(const __global float* dy, const __global float* x, const __global float* gamma,
                                        const __global float* mean, const __global float* rstd, __global float* dx,
                                        const int batch, const int channels_, const int spatial_, const int groups_) {
    const int block = get_global_id(0);
    const int spatial = spatial_, groups = groups_, per_group = channels_ / groups, size = per_group * spatial;
    if (block >= batch * groups) return;
    const long base = (long)block * size;
    const int c0 = (block % groups) * per_group;
    const float m = mean[block], r = rstd[block];
    float sum1 = 0.0f, carry1 = 0.0f, sum2 = 0.0f, carry2 = 0.0f;
    for (int c = 0; c < per_group; ++c) {
        const long o = base + c * spatial;
        const float g = gamma[c0 + c];
        const float a = spatial == 1 ? dy[o] : blocked_sum(dy + o, spatial);
        const float b = spatial == 1 ? dy[o] * (x[o] - m) : blocked_gradient_deviation(dy + o, x + o, spatial, m);
        kahan_add(&sum1, &carry1, g * a);
        kahan_add(&sum2, &carry2, g * b);
    }
    const float b_coefficient = -r * r * r * sum2 / (float)size;
    const float d_coefficient = -r * sum1 / (float)size;
    for (int c = 0; c < per_group; ++c) {
        const long o = base + c * spatial;
        const float a = r * gamma[c0 + c];
        for (int s = 0; s < spatial; ++s) dx[o + s] = a * dy[o + s] + b_coefficient * (x[o + s] - m) + d_coefficient;
    }
}

// gradGamma[c] = Σ_n rstd·Σ_s dy·(x − m), gradBeta[c] = Σ_n Σ_s dy. Global (channels).
__kernel void group_norm_backward_parameters(const __global float* dy, const __global float* x,
                                             const __global float* mean, const __global float* rstd,
                                             __global float* grad_gamma, __global float* grad_beta,
                                             const int batch, const int channels_, const int spatial_, const int groups_) {
    const int c = get_global_id(0);
    const int channels = channels_, spatial = spatial_, groups = groups_, per_group = channels / groups;
    if (c >= channels) return;
    float gamma_sum = 0.0f, gamma_carry = 0.0f, beta_sum = 0.0f, beta_carry = 0.0f;
    for (int n = 0; n < batch; ++n) {
        const long o = ((long)n * channels + c) * spatial;
        const int stat = n * groups + c / per_group;
        const float m = mean[stat];
        const float a = spatial == 1 ? dy[o] : blocked_sum(dy + o, spatial);
        const float b = spatial == 1 ? dy[o] * (x[o] - m) : blocked_gradient_deviation(dy + o, x + o, spatial, m);
        kahan_add(&beta_sum, &beta_carry, a);
        kahan_add(&gamma_sum, &gamma_carry, rstd[stat] * b);
    }
    grad_gamma[c] = gamma_sum;
    grad_beta[c] = beta_sum;
}
