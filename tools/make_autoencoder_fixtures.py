#!/usr/bin/env python3
"""Writes Tests/LatentTests/Fixtures/autoencoder_tiny.safetensors from the PyTorch AutoencoderKL of
this repository (python/latent_torch/autoencoder.py, preset "tiny": ch 8, ch_mult (1, 2, 2), one
ResBlock per level, 4 GroupNorm groups, z_channels 4, so 1x28x28 -> 4x7x7); needs torch, numpy and
safetensors.

Weights under their state_dict keys (GroupNorm affine parameters perturbed so they matter).
"fixture.*" tensors: x [2,1,28,28] in [-1, 1]; mean, logvar = encode(x); decoded = decode(mean);
eps [2,4,7,7]; loss, rec, kl of loss(x, eps) (kl_weight 0.5 in "config" so the KL term shows in the
gradients) and grad.<name> for a few parameters.

Usage: /work/venv/bin/python tools/make_autoencoder_fixtures.py [output-folder]
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "python"))
from latent_torch import autoencoder  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else root / "Tests/LatentTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)

CONFIG = dict(autoencoder.PRESETS["tiny"], z_channels=4, kl_weight=0.5)
torch.manual_seed(11)
model = autoencoder.AutoencoderKL(**CONFIG)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.GroupNorm):
            m.weight.copy_(1 + 0.2 * torch.randn_like(m.weight))
            m.bias.copy_(0.2 * torch.randn_like(m.bias))
    model.scale_factor.fill_(0.75)
model.eval()
g = torch.Generator().manual_seed(3)
x = torch.rand(2, 1, 28, 28, generator=g) * 2 - 1
eps = torch.randn(2, 4, 7, 7, generator=g)
with torch.no_grad():
    mean, logvar = model.encode(x)
    decoded = model.decode(mean)
loss, rec, kl, _ = model.loss(x, eps)
model.zero_grad()
loss.backward()
GRAD_NAMES = ["encoder.conv_in.weight", "encoder.down.1.block.0.nin_shortcut.weight", "encoder.mid.block_1.norm1.weight",
              "quant_conv.weight", "post_quant_conv.bias", "decoder.up.2.block.1.conv2.weight",
              "decoder.up.1.upsample.conv.weight", "decoder.conv_out.bias"]
params = dict(model.named_parameters())
# ascontiguousarray: astype keeps a non-contiguous layout (unpatchify makes one), which save_file would write as is.
f32 = lambda a: np.ascontiguousarray(a.detach().numpy(), dtype=np.float32)
tensors = {k: f32(v) for k, v in model.state_dict().items()}
tensors.update({"fixture.x": f32(x), "fixture.mean": f32(mean), "fixture.logvar": f32(logvar),
                "fixture.decoded": f32(decoded), "fixture.eps": f32(eps),
                "fixture.loss": np.array([loss.item()], np.float32), "fixture.rec": np.array([rec.item()], np.float32),
                "fixture.kl": np.array([kl.item()], np.float32)})
for name in GRAD_NAMES:
    tensors["fixture.grad." + name] = f32(params[name].grad)
config = dict(CONFIG, ch_mult=list(CONFIG["ch_mult"]))
save_file(tensors, str(out / "autoencoder_tiny.safetensors"), metadata={"config": json.dumps(config, sort_keys=True)})
print("wrote", out / "autoencoder_tiny.safetensors")
