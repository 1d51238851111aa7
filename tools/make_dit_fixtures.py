#!/usr/bin/env python3
"""Writes Tests/LatentTests/Fixtures/dit_tiny.safetensors from the PyTorch DiT of this repository
(python/latent_torch/dit.py); needs torch, numpy and safetensors.

Two tiny DiTs, their weights under "<model>.<state_dict key>" (model "cond": class-conditional eps
model on 3x4x4 inputs with patch 2; model "sigma": the same with learn_sigma, patch 1, on 2x3x3), every
zero-initialised layer re-randomised so each parameter matters. Tensors named "fixture.<model>.*":
  x, t (I32), y (I32; a null label 10 among them): forward inputs; out_cond = model(x, t, y),
  out_null = model(x, t) (null class), eval mode;
  loss_x0, loss_t (I32), loss_noise, loss_y (I32): a training batch (no label dropout); loss, mse, vb
  (training_losses: L_simple, plus the learned-variance term for "sigma") and grad.<name> for a few
  parameters; for "sigma" also sample_out: ancestral sampling (T = 10, guidance 1.5) with the learned
  variance and the noise rows sample_noise injected, labels sample_y.
The configurations are in the metadata ("cond", "sigma") as JSON with the Swift config's keys.

Usage: /work/venv/bin/python tools/make_dit_fixtures.py [output-folder]
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "python"))
from latent_torch import dit  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else root / "Tests/LatentTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)

CONFIGS = {
    "cond": dict(input_size=4, patch_size=2, in_channels=3, hidden_size=32, depth=2, num_heads=4, mlp_ratio=4.0,
                 num_classes=10, learn_sigma=False),
    "sigma": dict(input_size=3, patch_size=1, in_channels=2, hidden_size=16, depth=1, num_heads=2, mlp_ratio=2.0,
                  num_classes=10, learn_sigma=True),
}
GRAD_NAMES = ["x_embedder.proj.weight", "t_embedder.mlp.0.weight", "y_embedder.embedding_table.weight",
              "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.bias", "blocks.0.mlp.fc1.weight",
              "blocks.0.adaLN_modulation.1.weight", "final_layer.adaLN_modulation.1.bias", "final_layer.linear.weight"]
# ascontiguousarray: astype keeps a non-contiguous layout (unpatchify makes one), which save_file would write as is.
f32 = lambda a: np.ascontiguousarray(a.detach().numpy(), dtype=np.float32)
i32 = lambda a: a.numpy().astype(np.int32)
tensors, metadata = {}, {}


@torch.no_grad()
def ddpm_sample_learned(model, tables, noise_rows, y, guidance):
    """p(x_{t-1} | x_t) with the model's variance; guidance on eps, the variance of the conditional half."""
    n, C = noise_rows.shape[1], noise_rows.shape[2]
    x = noise_rows[0]
    null = torch.full_like(y, model.num_classes)
    for k, t in enumerate(reversed(range(tables.T))):
        tt = torch.full((n,), t)
        out = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null]))
        eps = (1 + guidance) * out[:n, :C] - guidance * out[n:, :C]
        v = out[:n, C:]
        x0 = (x - tables.take(tables.sqrt_1m_ac, tt) * eps) / tables.take(tables.sqrt_ac, tt)
        mean = tables.take(tables.post_c0, tt) * x0 + tables.take(tables.post_ct, tt) * x
        if t == 0:
            x = mean
        else:
            lo, hi = tables.take(tables.post_logvar_clipped, tt), tables.take(tables.log_betas, tt)
            x = mean + torch.exp(0.5 * (lo + (v + 1) / 2 * (hi - lo))) * noise_rows[k + 1]
    return x
tables = dit.DiffusionTables(1000)
for name, config in CONFIGS.items():
    torch.manual_seed(2024)
    model = dit.DiT(class_dropout_prob=0.1, **config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))  # undo the zero initialisation of adaLN and the final layer
    model.eval()
    c, s = config["in_channels"], config["input_size"]
    g = torch.Generator().manual_seed(7)
    x = torch.randn(4, c, s, s, generator=g)
    t = torch.tensor([0, 17, 500, 999])
    y = torch.tensor([3, 0, 10, 9])
    with torch.no_grad():
        out_cond, out_null = model(x, t, y), model(x, t)
    x0 = torch.randn(4, c, s, s, generator=g)
    loss_t = torch.tensor([0, 250, 640, 998])
    noise = torch.randn(4, c, s, s, generator=g)
    loss_y = torch.tensor([1, 2, 10, 7])
    loss, mse, vb = dit.training_losses(model, tables, x0, loss_t, noise, loss_y)
    model.zero_grad()
    loss.backward()
    params = dict(model.named_parameters())
    for k, v in model.state_dict().items():
        tensors[f"{name}.{k}"] = f32(v)
    fx = {"x": f32(x), "t": i32(t), "y": i32(y), "out_cond": f32(out_cond), "out_null": f32(out_null),
          "loss_x0": f32(x0), "loss_t": i32(loss_t), "loss_noise": f32(noise), "loss_y": i32(loss_y),
          "loss": np.array([loss.item()], np.float32), "mse": np.array([mse.item()], np.float32),
          "vb": np.array([vb.item()], np.float32)}
    for p in GRAD_NAMES:
        fx["grad." + p] = f32(params[p].grad)
    if config["learn_sigma"]:
        # Ancestral sampling with the learned variance (T = 10, guidance 1.5, x0 not clipped), its noise
        # injected: row 0 = x_T, row k + 1 = the noise of iteration k.
        small = dit.DiffusionTables(10)
        rows = torch.randn(11, 2, c, s, s, generator=g)
        sample_y = torch.tensor([4, 10])
        fx.update({"sample_noise": f32(rows), "sample_y": i32(sample_y),
                   "sample_out": f32(ddpm_sample_learned(model, small, rows, sample_y, guidance=1.5))})
    tensors.update({f"fixture.{name}.{k}": v for k, v in fx.items()})
    metadata[name] = json.dumps(config, sort_keys=True)
save_file(tensors, str(out / "dit_tiny.safetensors"), metadata=metadata)
print("wrote", out / "dit_tiny.safetensors")
