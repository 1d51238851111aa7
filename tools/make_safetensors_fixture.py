#!/usr/bin/env python3
"""Writes the safetensors interop fixtures in Tests/LatentTests/Fixtures/ with the Python
`safetensors` package (pip install safetensors; numpy only, no PyTorch).

python_reference.safetensors: F32, I32 and F16 tensors and one metadata key. Latent's writer must
reproduce this file byte for byte from the same tensors (with one metadata key the order of the
Python package's metadata, a hash order, does not matter).
python_metadata.safetensors: several metadata keys, a scalar, an empty tensor, I64 and U8 tensors.

The tensor values are simple formulas that the Swift tests recompute; keep the two in step.
Usage: python3 tools/make_safetensors_fixture.py [output-folder]
"""
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Tests/LatentTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)

# Float32 values whose float16 roundings cover normals, ties, subnormals, overflow and specials.
HALF_SOURCE = np.array([0.0, -0.0, 1.0, -2.5, 0.1, 3.14159265, 65504.0, 65520.0, 70000.0,
                        6.0e-8, 2.9802322e-8, 1.0e-7, 6.1035156e-5, 1.0009765625 + 2.0 ** -11,
                        np.inf, -np.inf, np.nan], dtype=np.float32)

np.seterr(over="ignore")
reference = {
    # weight[i] = (i - 12) * 0.125, shape 4x6
    "encoder.conv1.weight": ((np.arange(24, dtype=np.float32) - 12) * np.float32(0.125)).reshape(4, 6),
    # bias[i] = 1 / (i + 1), shape 6
    "encoder.conv1.bias": (np.float32(1) / (np.arange(6, dtype=np.float32) + 1)),
    # labels[i] = i * 7 - 20, shape 2x5
    "labels": (np.arange(10, dtype=np.int32) * 7 - 20).reshape(2, 5),
    "half_source": HALF_SOURCE,
    "half": HALF_SOURCE.astype(np.float16),  # 65520 and 70000 overflow to inf on purpose
}
save_file(reference, str(out / "python_reference.safetensors"),
          metadata={"config": '{"kind": "vae", "latent": 16, "note": "quote \\" slash / é"}\n\ttab \x01'})

extra = {
    "scalar": np.array(2.75, dtype=np.float32),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "step": np.array([123456789012], dtype=np.int64),
    "bytes": np.arange(5, dtype=np.uint8) * 50,
}
save_file(extra, str(out / "python_metadata.safetensors"),
          metadata={"format_version": "1", "step": "42", "rng_seed": "7", "rng_offset": "1000"})
print("wrote", out / "python_reference.safetensors", "and", out / "python_metadata.safetensors")
