#!/usr/bin/env python3
"""Writes Tests/LatentTests/Fixtures/frechet_reference.safetensors: feature sets and the Fréchet
distances numpy/scipy compute for them, for FrechetDistanceTests. Needs numpy, scipy, safetensors.

Every feature value is float32 (what the classifier produces); the statistics and distances are
computed from those values in float64. Tensors ([rows, dimension] F32):
    full.a [400,16], full.b [300,16]: correlated Gaussians with different means and covariances
        (full-rank covariances). The distance is computed the usual FID way (pytorch-fid:
        scipy.linalg.sqrtm(S1 @ S2)) and checked against the symmetric eigh form below.
    singular.a [12,24], singular.b [20,24]: fewer rows than dimensions, so both covariances are
        singular (what `latent fid --count 12` meets). sqrtm is unreliable there, so the distance is
        the symmetric form Tr((S1^1/2 S2 S1^1/2)^1/2) with numpy.linalg.eigh.
    full.a.mean [16], full.a.cov [16,16]: np.mean and np.cov (N - 1) of full.a, rounded to F32.
    eigen.matrix [20,20] F32: a symmetric matrix; eigen.values [20] F32: np.linalg.eigvalsh of it
        (ascending), rounded to F32.
Metadata: "fd.full", "fd.singular": the distances, repr() of the float64 values.

Usage: python tools/make_fid_fixture.py [output-folder]
"""
import sys
from pathlib import Path

import numpy as np
import scipy.linalg
from safetensors.numpy import save_file

out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Tests/LatentTests/Fixtures")
rng = np.random.default_rng(6)


def gaussian(rows, dim, shift, spread):
    mixing = rng.normal(size=(dim, dim)) * spread / np.sqrt(dim)
    return (rng.normal(size=(rows, dim)) @ mixing + shift).astype(np.float32)


def statistics(x):
    x = x.astype(np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def fd_symmetric(a, b):
    (m1, s1), (m2, s2) = statistics(a), statistics(b)
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root @ s2 @ root
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * trace_root)


def fd_sqrtm(a, b):
    (m1, s1), (m2, s2) = statistics(a), statistics(b)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


full_a = gaussian(400, 16, 0.5, 1.0)
full_b = gaussian(300, 16, np.linspace(-1, 1, 16), 1.5)
singular_a = gaussian(12, 24, 0.0, 1.0)
singular_b = gaussian(20, 24, 0.3, 0.7)
fd_full, fd_full_sqrtm = fd_symmetric(full_a, full_b), fd_sqrtm(full_a, full_b)
assert abs(fd_full - fd_full_sqrtm) < 1e-9 * fd_full, (fd_full, fd_full_sqrtm)
fd_singular = fd_symmetric(singular_a, singular_b)

m = rng.normal(size=(20, 20)).astype(np.float32)
eigen_matrix = ((m + m.T) / 2).astype(np.float32)
eigen_values = np.linalg.eigvalsh(eigen_matrix.astype(np.float64))

mean, cov = statistics(full_a)
tensors = {
    "full.a": full_a, "full.b": full_b, "singular.a": singular_a, "singular.b": singular_b,
    "full.a.mean": mean.astype(np.float32), "full.a.cov": cov.astype(np.float32),
    "eigen.matrix": eigen_matrix, "eigen.values": eigen_values.astype(np.float32),
}
metadata = {"fd.full": repr(fd_full), "fd.singular": repr(fd_singular)}
save_file(tensors, str(out / "frechet_reference.safetensors"), metadata=metadata)
print(f"fd.full {fd_full!r} (sqrtm {fd_full_sqrtm!r}), fd.singular {fd_singular!r}")
