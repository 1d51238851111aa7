#!/usr/bin/env python3
"""Prints the values Tests/LatentComputeTests/PhiloxTests.swift and python/tests/test_noise.py pin
for Latent's noise, computed by python/latent_torch/philox.py (numpy, float32, fma emulated exactly):
a table of uniform, normal(0, 1) and normal(0.5, 2) bit patterns of single elements, and the FNV-1a
digest of the bit patterns of NOISE_DIGEST_DRAWS (normal draws, concatenated). Both test files must
hold what this prints; a change to the noise map is a change to both backends, the Python twin and
these values together.

Usage: python tools/pin_noise_values.py
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from latent_torch.philox import normal, uniform  # noqa: E402

SEED = 0x0123456789ABCDEF
# The first six elements, one whose block counter crosses 2^32, and elements whose normal value
# changed in the last bit when the multiply-adds became fused (issue #13).
ELEMENTS = [0, 1, 2, 3, 4, 5, (1 << 34) + 1, 16, 26]
# (seed, offset, count, mean, std)
NOISE_DIGEST_DRAWS = [(SEED, 0, 1 << 16, 0.0, 1.0), (42, (1 << 34) - 6, 4099, 0.5, 2.0)]


def fnv1a64(words):
    """FNV-1a over 32-bit words (one word per step, not per byte), 64-bit state."""
    h = 0xCBF29CE484222325
    for w in words.tolist():
        h = ((h ^ w) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def digest():
    draws = [normal(seed, offset, count, mean, std) for seed, offset, count, mean, std in NOISE_DIGEST_DRAWS]
    return fnv1a64(np.concatenate(draws).view(np.uint32))


def bits(x):
    return int(np.asarray(x, dtype=np.float32).view(np.uint32)[0])


def table(elements):
    return [(e, bits(uniform(SEED, e, 1)), bits(normal(SEED, e, 1)), bits(normal(SEED, e, 1, 0.5, 2.0)))
            for e in elements]


if __name__ == "__main__":
    for e, u, z, n in table(ELEMENTS):
        print(f"element {e}: uniform 0x{u:08X} normal 0x{z:08X} normal(0.5, 2) 0x{n:08X}")
    print(f"digest 0x{digest():016X}")
