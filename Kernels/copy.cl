// Fill, copy, strided copy, gather and scatter-add. Semantics: Sources/LatentCompute/PrimitiveKernels.swift.
// Elements are moved as uint bits, so any 4-byte dtype (Float32, Int32) copies exactly.
// Contiguous kernels handle 4 elements per work-item (vload4/vstore4) with a scalar tail.

__kernel void fill(__global float* out, const int count, const float value) {
    int i = get_global_id(0) * 4;
    if (i + 3 < count) {
        vstore4((float4)(value), 0, out + i);
    } else {
        for (; i < count; ++i) out[i] = value;
    }
}

__kernel void copy(const __global uint* x, __global uint* out, const int count) {
    int i = get_global_id(0) * 4;
    if (i + 3 < count) {
        vstore4(vload4(0, x + i), 0, out + i);
    } else {
        for (; i < count; ++i) out[i] = x[i];
    }
}

__kernel void copy_strided(const __global uint* x, __global uint* out, const int8 shape, const int rank,
                           const int8 x_strides, const int x_offset, const int8 out_strides, const int out_offset) {
    const int i0 = get_global_id(0), i1 = get_global_id(1), i2 = get_global_id(2);
    if (i0 >= shape.s0 || i1 >= shape.s1) return;
    out[out_offset + strided_offset(shape, out_strides, rank, i0, i1, i2)] =
        x[x_offset + strided_offset(shape, x_strides, rank, i0, i1, i2)];
}

// CPU variant: one work-item per run along the last axis (range: id 0 = the axis before it,
// id 1 = the earlier axes flattened).
__kernel void copy_strided_rows(const __global uint* x, __global uint* out, const int8 shape, const int rank,
                                const int8 x_strides, const int x_offset, const int8 out_strides, const int out_offset) {
    const int i1 = get_global_id(0), i2 = get_global_id(1);
    if (i1 >= shape.s1) return;
    const int n = shape.s0, sx = x_strides.s0, so = out_strides.s0;
    const __global uint* px = x + x_offset + strided_offset(shape, x_strides, rank, 0, i1, i2);
    __global uint* po = out + out_offset + strided_offset(shape, out_strides, rank, 0, i1, i2);
    if (sx == 1 && so == 1) {
        for (int k = 0; k < n; ++k) po[k] = px[k];
    } else if (so == 1) {
        for (int k = 0; k < n; ++k) po[k] = px[k * sx];
    } else {
        for (int k = 0; k < n; ++k) po[k * so] = px[k * sx];
    }
}

// Range (row_length, index_count). Rows whose index is out of range are zero.
__kernel void gather(const __global uint* table, const __global int* indices, __global uint* out,
                     const int row_length, const int table_rows) {
    const int c = get_global_id(0), r = get_global_id(1);
    const int index = indices[r];
    out[r * row_length + c] = (index >= 0 && index < table_rows) ? table[index * row_length + c] : 0u;
}

// OpenCL 1.2 has no float atomics: add through compare-and-swap on the bits.
inline void atomic_add_float(volatile __global float* target, const float value) {
    volatile __global int* bits = (volatile __global int*)target;
    int expected = *bits;
    for (;;) {
        const int seen = atomic_cmpxchg(bits, expected, as_int(as_float(expected) + value));
        if (seen == expected) break;
        expected = seen;
    }
}

// Range (row_length, index_count). Out-of-range indices are skipped.
__kernel void scatter_add(const __global float* source, const __global int* indices, __global float* out,
                          const int row_length, const int out_rows) {
    const int c = get_global_id(0), r = get_global_id(1);
    const int index = indices[r];
    if (index >= 0 && index < out_rows) atomic_add_float(out + index * row_length + c, source[r * row_length + c]);
}
