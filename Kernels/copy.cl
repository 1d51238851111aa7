// Fill, copy, strided copy, gather and scatter-add. Semantics: Sources/LatentCompute/Device.swift.
// Elements are moved as uint bits, so any 4-byte dtype (Float32, Int32) copies exactly.
// Contiguous kernels handle 4 elements per work-item (vload4/vstore4) with a scalar tail.

// Strided kernels run on a 3-D range: id 0 = the last axis, id 1 = the axis before it,
// id 2 = all earlier axes flattened (decomposed here). `shape`/`strides` are padded with zeros.
inline int strided_offset(const int8 shape, const int8 strides, const int rank, int i0, int i1, int i2) {
    int s[8];
    int n[8];
    vstore8(strides, 0, s);
    vstore8(shape, 0, n);
    int offset = i0 * s[rank - 1];
    if (rank >= 2) offset += i1 * s[rank - 2];
    for (int d = rank - 3; d >= 0; --d) {
        const int q = i2 / n[d];
        offset += (i2 - q * n[d]) * s[d];
        i2 = q;
    }
    return offset;
}

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
    out[out_offset + strided_offset(shape, out_strides, rank, i0, i1, i2)] =
        x[x_offset + strided_offset(shape, x_strides, rank, i0, i1, i2)];
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
