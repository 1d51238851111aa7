#!/usr/bin/env python3
"""Reads a safetensors file written by Latent with the Python `safetensors` package and prints each
tensor (dtype, shape, a few values) and the metadata. With --expect-reference it also checks that the
file holds exactly the tensors of tools/make_safetensors_fixture.py's python_reference.safetensors.

Usage: python3 tools/check_safetensors_with_python.py FILE [--expect-reference]
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

path = sys.argv[1]
tensors = load_file(path)
with safe_open(path, framework="numpy") as f:
    metadata = f.metadata()
for name in sorted(tensors):
    t = tensors[name]
    print(f"{name}: {t.dtype} {list(t.shape)} {t.reshape(-1)[:6].tolist()}")
print("metadata:", metadata)

if "--expect-reference" in sys.argv:
    w = ((np.arange(24, dtype=np.float32) - 12) * np.float32(0.125)).reshape(4, 6)
    assert np.array_equal(tensors["encoder.conv1.weight"], w)
    assert tensors["encoder.conv1.weight"].dtype == np.float32
    assert np.array_equal(tensors["encoder.conv1.bias"], np.float32(1) / (np.arange(6, dtype=np.float32) + 1))
    assert np.array_equal(tensors["labels"], (np.arange(10, dtype=np.int32) * 7 - 20).reshape(2, 5))
    src = tensors["half_source"]
    assert tensors["half"].dtype == np.float16
    assert np.array_equal(tensors["half"].view(np.uint16), src.astype(np.float16).view(np.uint16))
    print("OK: Latent's file matches the reference tensors")
