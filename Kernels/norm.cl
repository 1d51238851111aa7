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
                         const float epsilon, const int silu) {
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
        for (int s = 0; s < spatial; ++s) {
            const float v = (xc[s] - m) * scale + shift;
            oc[s] = silu ? OP_SILU(float, v) : v;
        }
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

// ---------------------------------------------------------------- GPU-shaped variants
// One work-group of GN_GROUP work-items per (n, g) block (per (n, c) plane for the parameter
// gradients): each work-item sums a strided slice, then a tree reduction in local memory. The
// barriers and local memory suit GPUs; CPU devices take the loops above.
#define GN_GROUP 128

// Tree sum of `local_values` (GN_GROUP entries); every work-item gets the total.
inline float group_sum(__local float* local_values, float value) {
    const int lid = get_local_id(0);
    local_values[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = GN_GROUP / 2; stride > 0; stride >>= 1) {
        if (lid < stride) local_values[lid] += local_values[lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = local_values[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// Global (batch·groups·GN_GROUP), local (GN_GROUP).
__kernel void group_norm_tiled(const __global float* x, const __global float* gamma, const __global float* beta,
                               __global float* out, __global float* mean, __global float* rstd,
                               const int batch, const int channels, const int spatial, const int groups,
                               const float epsilon, const int silu) {
    __local float partials[GN_GROUP];
    const int block = get_group_id(0), lid = get_local_id(0);
    const int per_group = channels / groups, size = per_group * spatial;
    const __global float* xs = x + (long)block * size;
    __global float* os = out + (long)block * size;
    const int c0 = (block % groups) * per_group;
    float sum = 0.0f;
    for (int i = lid; i < size; i += GN_GROUP) sum += xs[i];
    const float m = group_sum(partials, sum) / (float)size;
    float deviation = 0.0f;
    for (int i = lid; i < size; i += GN_GROUP) deviation += (xs[i] - m) * (xs[i] - m);
    const float r = 1.0f / sqrt(group_sum(partials, deviation) / (float)size + epsilon);
    if (lid == 0) {
        mean[block] = m;
        rstd[block] = r;
    }
    for (int i = lid; i < size; i += GN_GROUP) {
        const int c = c0 + i / spatial;
        const float v = (xs[i] - m) * (r * gamma[c]) + beta[c];
        os[i] = silu ? OP_SILU(float, v) : v;
    }
}

// gradX, as group_norm_backward_input. Global (batch·groups·GN_GROUP), local (GN_GROUP).
__kernel void group_norm_backward_input_tiled(const __global float* dy, const __global float* x, const __global float* gamma,
                                              const __global float* mean, const __global float* rstd, __global float* dx,
                                              const int batch, const int channels, const int spatial, const int groups) {
    __local float partials[GN_GROUP];
    const int block = get_group_id(0), lid = get_local_id(0);
    const int per_group = channels / groups, size = per_group * spatial;
    const long base = (long)block * size;
    const int c0 = (block % groups) * per_group;
    const float m = mean[block], r = rstd[block];
    float a = 0.0f, b = 0.0f;
    for (int i = lid; i < size; i += GN_GROUP) {
        const float g = gamma[c0 + i / spatial] * dy[base + i];
        a += g;
        b += g * (x[base + i] - m);
    }
    const float sum1 = group_sum(partials, a), sum2 = group_sum(partials, b);
    const float b_coefficient = -r * r * r * sum2 / (float)size;
    const float d_coefficient = -r * sum1 / (float)size;
    for (int i = lid; i < size; i += GN_GROUP) {
        dx[base + i] = r * gamma[c0 + i / spatial] * dy[base + i] + b_coefficient * (x[base + i] - m) + d_coefficient;
    }
}

// Stage 1 of the parameter gradients: per (n, c) plane, beta_part = Σ_s dy and
// gamma_part = rstd·Σ_s dy·(x − m). Global (batch·channels·GN_GROUP), local (GN_GROUP).
__kernel void group_norm_parameter_partials_tiled(const __global float* dy, const __global float* x,
                                                  const __global float* mean, const __global float* rstd,
                                                  __global float* gamma_part, __global float* beta_part,
                                                  const int batch, const int channels, const int spatial, const int groups) {
    __local float partials[GN_GROUP];
    const int plane = get_group_id(0), lid = get_local_id(0);
    const int n = plane / channels, c = plane % channels;
    const int stat = n * groups + c / (channels / groups);
    const long o = (long)plane * spatial;
    const float m = mean[stat];
    float a = 0.0f, b = 0.0f;
    for (int s = lid; s < spatial; s += GN_GROUP) {
        a += dy[o + s];
        b += dy[o + s] * (x[o + s] - m);
    }
    const float sum_a = group_sum(partials, a), sum_b = group_sum(partials, b);
    if (lid == 0) {
        beta_part[plane] = sum_a;
        gamma_part[plane] = rstd[stat] * sum_b;
    }
}

// Stage 2: grad[c] = Σ_n part[n, c]. Global (channels).
__kernel void group_norm_parameter_totals(const __global float* gamma_part, const __global float* beta_part,
                                          __global float* grad_gamma, __global float* grad_beta,
                                          const int batch, const int channels) {
    const int c = get_global_id(0);
    if (c >= channels) return;
    float gamma_sum = 0.0f, beta_sum = 0.0f;
    for (int n = 0; n < batch; ++n) {
        gamma_sum += gamma_part[n * channels + c];
        beta_sum += beta_part[n * channels + c];
    }
    grad_gamma[c] = gamma_sum;
    grad_beta[c] = beta_sum;
}
