#!/usr/bin/env python3
"""numpy/OpenBLAS SGEMM in the same JSON-lines format as `latent bench --json`, for side-by-side runs.

Usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Benchmarks/numpy_sgemm.py [--threads N]
(Some machines here set OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for old OpenBLAS builds; they slow a
current numpy, so unset both for benchmarking.)
"""
import argparse
import json
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--sizes", type=int, nargs="*", default=[256, 1024, 2048])
args = parser.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread setting)

try:
    from threadpoolctl import threadpool_info
    kernel = ",".join(f"{i.get('internal_api')}:{i.get('architecture')}" for i in threadpool_info())
except ImportError:
    kernel = "unknown (pip install threadpoolctl to see)"

rng = np.random.default_rng(0)
for n in args.sizes:
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    times = []
    budget = time.perf_counter() + 3
    while len(times) < 10 and (len(times) < 3 or time.perf_counter() < budget):
        t0 = time.perf_counter()
        a @ b
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    ms = times[len(times) // 2]
    print(json.dumps({"op": "sgemm", "backend": "numpy", "device": f"openblas ({args.threads} threads; {kernel})",
                      "shape": f"{n}x{n}x{n}", "ms": ms, "min_ms": times[0], "gflops": 2 * n**3 / ms / 1e6}))
