"""Latent's noise in numpy is bit-identical to Latent's: the fma emulation rounds as IEEE
fusedMultiplyAdd does (checked against exact rational arithmetic), and the normal map gives the bit
patterns Tests/LatentComputeTests/PhiloxTests.swift pins for both backends."""
import importlib.util
from fractions import Fraction
from pathlib import Path

import numpy as np

from latent_torch.philox import fma32, normal, uniform
from conftest import REPO


def pin_noise_values():
    spec = importlib.util.spec_from_file_location("pin_noise_values", REPO / "tools" / "pin_noise_values.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exact_fma32(a, b, c):
    """a * b + c rounded once to float32, ties to even, from exact rationals."""
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    guess = np.float32(float(exact))  # within one float32 step of the answer (double rounding)
    candidates = [np.nextafter(guess, np.float32(-np.inf)), guess, np.nextafter(guess, np.float32(np.inf))]
    best = min(candidates, key=lambda f: (abs(Fraction(float(f)) - exact), int(np.float32(f).view(np.uint32)) & 1))
    return np.float32(best)


def test_fma32_rounds_once():
    f = np.float32
    # Exact value 1 + 2^-23 + 2^-24 - 2^-70, just below a float32 midpoint: rounding the float64 sum
    # to float32 (double rounding) lands on the midpoint and goes to the even neighbour, 1 + 2^-22.
    a, b, c = f(2.0 ** -12 * (1 + 2.0 ** -23)), f(2.0 ** -12 * (1 - 2.0 ** -23)), f(1 + 2.0 ** -23)
    assert f(np.float64(a) * np.float64(b) + np.float64(c)) == f(1 + 2.0 ** -22)
    assert fma32(a, b, c) == f(1 + 2.0 ** -23) == exact_fma32(a, b, c)
    # Its mirror image above a midpoint, and exact ties.
    hard = [(a, b, c), (-a, b, -c), (a, -b, f(1 + 2.0 ** -22)), (f(2.0 ** -12), f(2.0 ** -12), f(1)),
            (f(2.0 ** -12), f(2.0 ** -12), f(1 + 2.0 ** -23)), (f(3), f(1 / 3), f(-1)), (f(0), f(5), f(-0.0))]
    rng = np.random.default_rng(13)
    n = 3000
    scale = f(2.0) ** rng.integers(-30, 30, size=(3, n)).astype(np.float32)
    x, y, z = (rng.standard_normal((3, n)) * scale).astype(np.float32)
    z[: n // 2] = (-x[: n // 2] * y[: n // 2] * (1 + rng.standard_normal(n // 2) * 1e-6)).astype(np.float32)
    cases = hard + list(zip(x, y, z))
    got = fma32(np.array([t[0] for t in cases]), np.array([t[1] for t in cases]), np.array([t[2] for t in cases]))
    want = np.array([exact_fma32(*t) for t in cases], dtype=np.float32)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_noise_is_bit_identical_to_latents():
    pins = pin_noise_values()
    swift = (REPO / "Tests" / "LatentComputeTests" / "PhiloxTests.swift").read_text()
    for e, u, z, n in pins.table(pins.ELEMENTS):
        row = ", ".join(f"0x{v >> 16:04X}_{v & 0xFFFF:04X}" for v in (u, z, n))
        assert row in swift, f"element {e}: {row} is not pinned in PhiloxTests.swift"
    digest = pins.digest()
    assert digest == 0xA36B05ADBBE87F74
    assert f"0x{digest >> 48:04X}_{digest >> 32 & 0xFFFF:04X}_{digest >> 16 & 0xFFFF:04X}_{digest & 0xFFFF:04X}" in swift


def test_normal_takes_mean_and_std_fused():
    z = normal(3, 7, 257)
    shifted = normal(3, 7, 257, mean=0.5, std=2.0)
    assert np.array_equal(shifted, fma32(np.float32(2), z, np.float32(0.5)))
    assert np.all((uniform(3, 5, 1000) >= 0) & (uniform(3, 5, 1000) < 1))
