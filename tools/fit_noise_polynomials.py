#!/usr/bin/env python3
"""Fits the polynomial log / sin / cos used by the Philox normal sampler.

The same Float32 coefficients appear in Sources/LatentCompute/Random/NoiseMath.swift and
Kernels/random.cl (as hex float literals), so both backends evaluate identical operations.
Method: least squares on Chebyshev nodes, weighted for relative error, in float64; coefficients
are then rounded to float32 and the float32 Horner evaluation is checked against numpy's float64.
Run: python3 tools/fit_noise_polynomials.py
"""
import numpy as np

def cheb_nodes(a, b, n=4000):
    k = np.arange(n)
    return 0.5 * (a + b) + 0.5 * (b - a) * np.cos((2 * k + 1) * np.pi / (2 * n))

def fit(xs, target, basis_powers, weight):
    A = np.stack([xs ** p for p in basis_powers], axis=1) * weight[:, None]
    c, *_ = np.linalg.lstsq(A, target * weight, rcond=None)
    return c.astype(np.float32)

def horner32(coeffs, t):
    """Evaluates c0 + t*(c1 + t*(c2 + ...)) in float32, innermost first, like the kernels."""
    t = t.astype(np.float32)
    acc = np.full_like(t, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc = (acc * t).astype(np.float32) + np.float32(c)
    return acc.astype(np.float32)

def show(name, coeffs):
    print(f"{name}:")
    for c in coeffs:
        print(f"    {float(c).hex()}  # {float(c):.9g}")

# ln(1 + f) = f * L(f) for f in [sqrt(1/2) - 1, sqrt(2) - 1].
lo, hi = np.sqrt(0.5) - 1, np.sqrt(2) - 1
f = cheb_nodes(lo, hi)
f = f[np.abs(f) > 1e-12]
L = fit(f, np.log1p(f) / f, range(9), np.ones_like(f))
show("log: ln(1+f) = f * L(f), L coefficients c0..c8", L)
ft = np.linspace(lo, hi, 200001).astype(np.float32)
ft = ft[ft != 0]
approx = (ft * horner32(L, ft)).astype(np.float32)
print("  max rel err", np.max(np.abs(approx / np.log1p(ft.astype(np.float64)) - 1)))

# sin(pi/2 * x) = x * S(x^2), cos(pi/2 * x) = C(x^2) for x in [-1/2, 1/2] (quarter turns).
x = cheb_nodes(0, 0.5)
x = x[x > 1e-9]
S = fit(x * x, np.sin(np.pi / 2 * x) / x, range(5), np.ones_like(x))
C = fit(x * x, np.cos(np.pi / 2 * x), range(6), 1 / np.cos(np.pi / 2 * x))
show("sin: sin(pi/2 x) = x * S(x^2), S coefficients", S)
show("cos: cos(pi/2 x) = C(x^2), C coefficients", C)
xt = np.linspace(-0.5, 0.5, 200001).astype(np.float32)
x2 = (xt * xt).astype(np.float32)
s = (xt * horner32(S, x2)).astype(np.float32)
c = horner32(C, x2)
xd = xt.astype(np.float64)
print("  sin max abs err", np.max(np.abs(s - np.sin(np.pi / 2 * xd))))
print("  cos max abs err", np.max(np.abs(c - np.cos(np.pi / 2 * xd))))
