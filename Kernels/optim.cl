// Fused optimizer steps, in place. Semantics: FusedKernels.swift; constants are computed on the
// host exactly as CPU/Optim.swift's AdamConstants does. One work-item per parameter.

// Adam/AdamW (PyTorch arrangement): g += coupled_decay·p; p ·= decoupled_factor;
// m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; p −= step_size·m/(√v/√bc2 + ε).
__kernel void adam_step(__global float* parameter, const __global float* gradient, __global float* m_,
                        __global float* v_, const int count, const float beta1, const float beta2,
                        const float one_minus_beta1, const float one_minus_beta2, const float epsilon,
                        const float step_size, const float correction2_root, const float coupled_decay,
                        const float decoupled_factor) {
    const int i = get_global_id(0);
    if (i >= count) return;
    float p = parameter[i], g = gradient[i];
    if (coupled_decay != 0.0f) g += coupled_decay * p;
    p *= decoupled_factor;
    const float m = beta1 * m_[i] + one_minus_beta1 * g;
    const float v = beta2 * v_[i] + one_minus_beta2 * (g * g);
    p -= step_size * m / (sqrt(v) / correction2_root + epsilon);
    m_[i] = m;
    v_[i] = v;
    parameter[i] = p;
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
