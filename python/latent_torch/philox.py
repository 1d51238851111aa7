"""Latent's noise in numpy: Philox4x32-10 (Salmon et al. 2011) under a 64-bit seed, element e of a draw
using block e // 4, lane e % 4 (Sources/LatentCompute/Random/NoiseSampler.swift). Uniform and normal
values are bit-identical to Latent's on every backend: the normal map evaluates NoiseMath's polynomial
log, sqrt and sin/cos in float32 with the same operations, each multiply-add a correctly rounded fused
multiply-add (`fma32`), as Sources/LatentCompute/Random/NoiseMath.swift and Kernels/random.cl do."""
import numpy as np
import torch

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


def philox_words(seed, blocks):
    """The four uint32 words [4, n] of Philox4x32-10 for counters (block_lo, block_hi, 0, 0) under
    key (seed_lo, seed_hi)."""
    blocks = np.asarray(blocks, dtype=np.uint64)
    x0 = blocks & MASK32
    x1 = blocks >> np.uint64(32)
    x2 = np.zeros_like(x0)
    x3 = np.zeros_like(x0)
    k0, k1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    for _ in range(10):
        p0 = M0 * x0
        p1 = M1 * x2
        x0, x1, x2, x3 = ((p1 >> np.uint64(32)) ^ x1 ^ np.uint64(k0), p1 & MASK32,
                          (p0 >> np.uint64(32)) ^ x3 ^ np.uint64(k1), p0 & MASK32)
        k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
    return np.stack([x0, x1, x2, x3]).astype(np.uint32)


def _elements(offset, count):
    e = (np.uint64(offset) + np.arange(count, dtype=np.uint64))
    return e >> np.uint64(2), (e & np.uint64(3)).astype(np.int64)


F32 = np.float32


def fma32(a, b, c):
    """a * b + c for float32 arrays, rounded once to float32 (IEEE fusedMultiplyAdd, as C's fmaf,
    Swift's addingProduct and OpenCL's fma). numpy has no fma: the float32 product is exact in float64
    (24 + 24 bits), the float64 sum is made round-to-odd from its exact error (TwoSum), and rounding a
    round-to-odd float64 to float32 equals rounding the exact value once, because 53 >= 24 + 2
    (Boldo and Melquiond 2008). Inputs must be finite and the sum must not overflow float64."""
    a, b, c = (np.asarray(v, dtype=np.float32).astype(np.float64) for v in (a, b, c))
    p = a * b
    s = p + c
    bp = s - p
    err = (p - (s - bp)) + (c - bp)
    even = (s.view(np.uint64) & np.uint64(1)) == 0
    s = np.where((err != 0) & even, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s.astype(np.float32)


def _bits_to_f32(bits):
    return np.asarray(bits, dtype=np.uint32).view(np.float32)


def noise_log(a):
    """NoiseMath.log: a = 2^e m with m in [sqrt(1/2), sqrt(2)), ln a = e ln2 + f L(f), f = m - 1."""
    bits = np.asarray(a, dtype=np.float32).view(np.uint32)
    e = (bits >> np.uint32(23)).astype(np.int32) - 127
    bits = (bits & np.uint32(0x007FFFFF)) | np.uint32(0x3F800000)
    high = bits > np.uint32(0x3FB504F3)
    bits = np.where(high, bits - np.uint32(0x00800000), bits).astype(np.uint32)
    e = e + high
    f = _bits_to_f32(bits) - F32(1)
    coefficients = ("0x1.6626eap-4", "-0x1.26729ep-3", "0x1.32285p-3", "-0x1.5329bep-3", "0x1.98b80ap-3",
                    "-0x1.0005a6p-2", "0x1.55579p-2", "-0x1.fffff8p-2", "0x1p0")
    l = np.full_like(f, F32(float.fromhex(coefficients[0])))
    for c in coefficients[1:]:
        l = fma32(f, l, F32(float.fromhex(c)))
    return fma32(e.astype(np.float32), F32(float.fromhex("0x1.62e43p-1")), f * l)


def noise_sqrt(a):
    """NoiseMath.sqrt: the bit-trick 1/sqrt guess, four Newton steps y (1.5 - (h y) y), then a y."""
    a = np.asarray(a, dtype=np.float32)
    y = _bits_to_f32(np.uint32(0x5F3759DF) - (a.view(np.uint32) >> np.uint32(1)))
    h = F32(0.5) * a
    for _ in range(4):
        y = y * fma32(-(h * y), y, F32(1.5))
    return a * y


def noise_sincos(w):
    """NoiseMath.sinCos: (sin, cos) of 2 pi w 2^-24 for 24-bit integers w."""
    w = np.asarray(w, dtype=np.uint32)
    n = (w + np.uint32(0x200000)) >> np.uint32(22)
    x = (w.astype(np.int32) - (n << np.uint32(22)).astype(np.int32)).astype(np.float32) * F32(2.0 ** -22)
    x2 = x * x
    s = np.full_like(x2, F32(float.fromhex("0x1.4be288p-13")))
    for c in ("-0x1.32cb0ep-8", "0x1.466bbcp-4", "-0x1.4abbcep-1", "0x1.921fb6p0"):
        s = fma32(x2, s, F32(float.fromhex(c)))
    s = x * s
    c_ = np.full_like(x2, F32(float.fromhex("-0x1.a0f316p-16")))
    for c in ("0x1.e1e7eep-11", "-0x1.55d3bap-6", "0x1.03c1fp-2", "-0x1.3bd3ccp0", "0x1p0"):
        c_ = fma32(x2, c_, F32(float.fromhex(c)))
    q = n & np.uint32(3)
    sine = np.select([q == 0, q == 1, q == 2], [s, c_, -s], -c_)
    cosine = np.select([q == 0, q == 1, q == 2], [c_, -s, -c_], s)
    return sine, cosine


def uniform(seed, offset, count):
    """Latent's `randomUniform`: (x[lane] >> 8) * 2^-24, float32 [count]."""
    blocks, lanes = _elements(offset, count)
    words = philox_words(seed, blocks)
    return ((words[lanes, np.arange(count)] >> 8).astype(np.float64) * 2.0 ** -24).astype(np.float32)


def normal(seed, offset, count, mean=0.0, std=1.0):
    """Latent's `randomNormal`: Box-Muller on the lane pair with NoiseMath's polynomials, then
    fma(std, z, mean); float32 [count], bit-identical to Latent's."""
    blocks, lanes = _elements(offset, count)
    words = philox_words(seed, blocks)
    col = np.arange(count)
    pair = lanes >> 1
    u1 = ((words[2 * pair, col] >> np.uint32(8)) + np.uint32(1)).astype(np.float32) * F32(2.0 ** -24)
    r = noise_sqrt(F32(-2) * noise_log(u1))
    sine, cosine = noise_sincos(words[2 * pair + 1, col] >> np.uint32(8))
    z = r * np.where(lanes & 1 == 0, cosine, sine)
    return fma32(F32(std), z, F32(mean))


class LatentNoise:
    """The sampler noise of Latent's `SamplerOptions`: noise slot s of image j (counted from
    `first_image`) is Philox normal number s*2^40 + j*D + e of `seed`, D = C*H*W. Pass it as
    `noise=` to `GaussianDiffusion.sample` to draw the samples `latent sample --seed SEED` draws."""

    def __init__(self, seed, first_image=0):
        self.seed, self.first_image = seed, first_image

    def __call__(self, slot, shape):
        count = int(np.prod(shape))
        image_size = count // shape[0]
        offset = (slot << 40) + self.first_image * image_size
        return torch.from_numpy(normal(self.seed, offset, count).reshape(shape))
