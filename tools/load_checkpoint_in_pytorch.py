#!/usr/bin/env python3
"""Loads a Latent checkpoint into the matching PyTorch reference model (strict state_dict load).

Usage: python tools/load_checkpoint_in_pytorch.py CHECKPOINT [--model fmnist-conv|fmnist-vq|fmnist-small]
Needs torch and safetensors (a venv outside the repository); CI does not run it.
"""
import argparse
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference"))
import models  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("checkpoint")
parser.add_argument("--model", default="fmnist-conv")
args = parser.parse_args()
tensors = load_file(args.checkpoint)
# Optimizer state and EMA weights live under "optimizer."; the rest is the model's state_dict.
weights = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
# An EMA-codebook VQ-VAE (VQVAEConfig "ema": true) carries the reference's EMA buffers.
kwargs = {"ema": True} if args.model == "fmnist-vq" and "vq.cluster_size" in weights else {}
model = models.build(args.model, **kwargs)
model.load_state_dict(weights, strict=True)
print(f"loaded {len(weights)} tensors of {args.checkpoint} strictly into {args.model}")
