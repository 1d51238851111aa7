// Fused optimizer steps, in place. Semantics: FusedKernels.swift; constants are computed on the
// host exactly as CPU/Optim.swift's AdamConstants does. One work-item per parameter.

// Adam/AdamW (PyTorch arrangement): g += coupled_decay·p; p ·= decoupled_factor;
// m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; p −= step_size·m/(√v/√bc2 + ε).
// The update of one parameter i with gradient g (shared by adam_step and adam_step_gated).
inline void adam_update(__global float* parameter, __global float* m_, __global float* v_, const int i, float p,
                        float g, const float beta1, const float beta2, const float one_minus_beta1,
                        const float one_minus_beta2, const float epsilon, const float step_size,
                        const float correction2_root, const float coupled_decay, const float decoupled_factor) {
    if (coupled_decay != 0.0f) g += coupled_decay * p;
    p *= decoupled_factor;
    const float m = beta1 * m_[i] + one_minus_beta1 * g;
    const float v = beta2 * v_[i] + one_minus_beta2 * (g * g);
    p -= step_size * m / (sqrt(v) / correction2_root + epsilon);
    m_[i] = m;
    v_[i] = v;
    parameter[i] = p;
}

__kernel void adam_step(__global float* parameter, const __global float* gradient, __global float* m_,
                        __global float* v_, const int count, const float beta1, const float beta2,
                        const float one_minus_beta1, const float one_minus_beta2, const float epsilon,
                        const float step_size, const float correction2_root, const float coupled_decay,
                        const float decoupled_factor) {
    const int i = get_global_id(0);
    if (i >= count) return;
    float p = parameter[i], g = gradient[i];
    adam_update(parameter, m_, v_, i, p, g, beta1, beta2, one_minus_beta1, one_minus_beta2, epsilon, step_size,
                correction2_root, coupled_decay, decoupled_factor);
}

#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

// adam_step decided on the device (no host read): nothing changes where apply[0] == 0; otherwise g is
// multiplied by scale[0] (a clip factor) and t = step[0]. Work-item 0 of each group computes
// step_size = lr/(1 − β1ᵗ) and √(1 − β2ᵗ), in double where the device has it, as AdamConstants does.
__kernel void adam_step_gated(__global float* parameter, const __global float* gradient, __global float* m_,
                              __global float* v_, const int count, const __global float* apply,
                              const __global float* scale, const __global float* step, const float beta1,
                              const float beta2, const float one_minus_beta1, const float one_minus_beta2,
                              const float epsilon, const float learning_rate, const float coupled_decay,
                              const float decoupled_factor) {
    __local float constants[2];
    if (get_local_id(0) == 0) {
#ifdef cl_khr_fp64
        const double t = max((double)step[0], 1.0);
        constants[0] = (float)((double)learning_rate / (1.0 - pow((double)beta1, t)));
        constants[1] = (float)sqrt(1.0 - pow((double)beta2, t));
#else
        const float t = max(step[0], 1.0f);
        constants[0] = learning_rate / (1.0f - pow(beta1, t));
        constants[1] = sqrt(1.0f - pow(beta2, t));
#endif
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int i = get_global_id(0);
    if (i >= count || apply[0] == 0.0f) return;
    const float step_size = constants[0], correction2_root = constants[1];
    float p = parameter[i], g = gradient[i] * scale[0];
    adam_update(parameter, m_, v_, i, p, g, beta1, beta2, one_minus_beta1, one_minus_beta2, epsilon, step_size,
                correction2_root, coupled_decay, decoupled_factor);
}

// Per tensor k of the launch (one work-group of TENSOR_SUMS_GROUP items each, up to 16 tensors):
// out[out_base + 2k] = Σ x, out[out_base + 2k + 1] = Σ x². Each item strides over its tensor, then the
// group adds the partials pairwise in local memory.
#define TENSOR_SUMS_GROUP 128
__kernel __attribute__((reqd_work_group_size(TENSOR_SUMS_GROUP, 1, 1)))
void tensor_sums(__global float* out, const int out_base, const __global float* x0, const int n0, const __global float* x1, const int n1, const __global float* x2, const int n2, const __global float* x3, const int n3, const __global float* x4, const int n4, const __global float* x5, const int n5, const __global float* x6, const int n6, const __global float* x7, const int n7, const __global float* x8, const int n8, const __global float* x9, const int n9, const __global float* x10, const int n10, const __global float* x11, const int n11, const __global float* x12, const int n12, const __global float* x13, const int n13, const __global float* x14, const int n14, const __global float* x15, const int n15) {
    __local float sums[TENSOR_SUMS_GROUP], squares[TENSOR_SUMS_GROUP];
    const int k = get_group_id(0), lid = get_local_id(0);
    const __global float* x = x0;
    int n = 0;
    switch (k) {
        case 0: x = x0; n = n0; break;
        case 1: x = x1; n = n1; break;
        case 2: x = x2; n = n2; break;
        case 3: x = x3; n = n3; break;
        case 4: x = x4; n = n4; break;
        case 5: x = x5; n = n5; break;
        case 6: x = x6; n = n6; break;
        case 7: x = x7; n = n7; break;
        case 8: x = x8; n = n8; break;
        case 9: x = x9; n = n9; break;
        case 10: x = x10; n = n10; break;
        case 11: x = x11; n = n11; break;
        case 12: x = x12; n = n12; break;
        case 13: x = x13; n = n13; break;
        case 14: x = x14; n = n14; break;
        case 15: x = x15; n = n15; break;
    }
    float a = 0.0f, b = 0.0f;
    for (int i = lid; i < n; i += TENSOR_SUMS_GROUP) {
        const float v = x[i];
        a += v;
        b += v * v;
    }
    sums[lid] = a;
    squares[lid] = b;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = TENSOR_SUMS_GROUP / 2; stride > 0; stride >>= 1) {
        if (lid < stride) {
            sums[lid] += sums[lid + stride];
            squares[lid] += squares[lid + stride];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        out[out_base + 2 * k] = sums[0];
        out[out_base + 2 * k + 1] = squares[0];
    }
}

// SGD with momentum: g += wd·p; buf = first ? g : μ·buf + g; p −= lr·(nesterov ? g + μ·buf : buf).
// use_momentum = 0 leaves the buffer untouched and steps with g.
__kernel void sgd_step(__global float* parameter, const __global float* gradient, __global float* buffer,
                       const int count, const float learning_rate, const float momentum, const float weight_decay,
                       const int use_momentum, const int first_step, const int nesterov) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float p = parameter[i];
    const float g = gradient[i] + weight_decay * p;
    float step = g;
    if (use_momentum) {
        const float b = first_step ? g : momentum * buffer[i] + g;
        buffer[i] = b;
        step = nesterov ? g + momentum * b : b;
    }
    parameter[i] = p - learning_rate * step;
}
