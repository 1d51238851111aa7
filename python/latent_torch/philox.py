"""Latent's noise in numpy: Philox4x32-10 (Salmon et al. 2011) under a 64-bit seed, element e of a draw
using block e // 4, lane e % 4 (Sources/LatentCompute/Random/NoiseSampler.swift). Uniform values are
bit-identical to Latent's; normal values use float64 log/sqrt/sin/cos instead of Latent's polynomials,
so they agree to about 1e-6 (enough to reproduce Latent's samples from the same seed)."""
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


def uniform(seed, offset, count):
    """Latent's `randomUniform`: (x[lane] >> 8) * 2^-24, float32 [count]."""
    blocks, lanes = _elements(offset, count)
    words = philox_words(seed, blocks)
    return ((words[lanes, np.arange(count)] >> 8).astype(np.float64) * 2.0 ** -24).astype(np.float32)


def normal(seed, offset, count):
    """Latent's `randomNormal` (mean 0, std 1): Box-Muller on the lane pair, float32 [count]."""
    blocks, lanes = _elements(offset, count)
    words = philox_words(seed, blocks)
    col = np.arange(count)
    pair = lanes >> 1
    u1 = ((words[2 * pair, col] >> 8).astype(np.float64) + 1) * 2.0 ** -24
    u2 = (words[2 * pair + 1, col] >> 8).astype(np.float64) * 2.0 ** -24
    r = np.sqrt(-2 * np.log(u1))
    z = np.where(lanes & 1 == 0, r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2))
    return z.astype(np.float32)


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
