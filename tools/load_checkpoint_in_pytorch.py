#!/usr/bin/env python3
"""Loads a Latent checkpoint into its PyTorch twin (python/latent_torch, strict state_dict load) and
prints the model type, configuration and parameter count.

Usage: python tools/load_checkpoint_in_pytorch.py CHECKPOINT [--no-ema]
Needs torch, safetensors and latent_torch (`pip install ./python`); CI does not run it.
"""
import argparse

from latent_torch import count_params, load_checkpoint

parser = argparse.ArgumentParser()
parser.add_argument("checkpoint")
parser.add_argument("--no-ema", action="store_true", help="the weights, not the weight EMA the checkpoint may hold")
args = parser.parse_args()
model, config = load_checkpoint(args.checkpoint, ema=not args.no_ema)
print(f"loaded {args.checkpoint} strictly into {type(model).__name__} ({count_params(model):,} parameters), config {config}")
