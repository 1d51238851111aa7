#!/usr/bin/env python3
"""Writes Tests/LatentTests/Fixtures/flow_tiny.safetensors from the PyTorch flow of this repository
(python/latent_torch/flow.py); needs torch, numpy, scipy and safetensors.

Two tiny flows on 1x8x8 images (2 levels of 2 steps, hidden 8): "glow" (sigmoid scale) and "realnvp"
(exp(tanh) scale), each coupling's zero-initialised last conv re-randomised so every parameter
matters. Tensors, per model <m>:
  <m>.pre.<key>: the state_dict before the first training batch (ActNorm not yet initialised);
  <m>.post.<key>: after ActNorm's data-dependent initialisation on that batch;
  <m>.images (k/255), <m>.uniform: the batch and its dequantisation noise;
  <m>.log_p, <m>.bpd: log p(v) (nats) and bits/dim per image; <m>.z.<l>: the latents;
  <m>.loss: mean bits/dim; <m>.grad.<key>: its gradient for every parameter.
The configurations are in the metadata under the model names, as JSON with the Swift config's keys.

Usage: python tools/make_flow_fixtures.py [output-folder]
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "python"))
from latent_torch.flow import NormalizingFlow  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else root / "Tests/LatentTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)
f32 = lambda a: np.ascontiguousarray(a.detach().numpy(), dtype=np.float32)
tensors, metadata = {}, {}

for name in ("glow", "realnvp"):
    torch.manual_seed(2024)
    config = {"channels": 1, "imageSize": 8, "levels": 2, "stepsPerLevel": 2, "hidden": 8, "coupling": name,
              "alpha": 0.05}
    flow = NormalizingFlow.from_config(config)
    with torch.no_grad():
        for level in flow.levels:
            for step in level.steps:
                for p in step.coupling.net[4].parameters():
                    p.normal_(0, 0.05)
    g = torch.Generator().manual_seed(7)
    images = torch.randint(0, 256, (4, 1, 8, 8), generator=g).float() / 255
    u = torch.rand(4, 1, 8, 8, generator=g)
    for k, v in flow.state_dict().items():
        tensors[f"{name}.pre.{k}"] = f32(v)
    flow.train()
    log_p, zs = flow.log_likelihood(flow.dequantize(images, u))
    bpd = flow.bits_per_dim(log_p)
    loss = bpd.mean()
    loss.backward()
    for k, v in flow.state_dict().items():
        tensors[f"{name}.post.{k}"] = f32(v)
    for k, p in flow.named_parameters():
        tensors[f"{name}.grad.{k}"] = f32(p.grad)
    tensors[f"{name}.images"] = f32(images)
    tensors[f"{name}.uniform"] = f32(u)
    tensors[f"{name}.log_p"] = f32(log_p)
    tensors[f"{name}.bpd"] = f32(bpd)
    tensors[f"{name}.loss"] = f32(loss.reshape(1))
    for i, z in enumerate(zs):
        tensors[f"{name}.z.{i}"] = f32(z)
    metadata[name] = json.dumps(config, sort_keys=True)

save_file(tensors, str(out / "flow_tiny.safetensors"), metadata=metadata)
print(f"wrote {len(tensors)} tensors to {out / 'flow_tiny.safetensors'}")
