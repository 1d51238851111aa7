#!/usr/bin/env python3
"""Writes the PyTorch -> Latent round-trip fixtures in Tests/LatentTests/Fixtures/ (issue #14): two plain
state_dicts of PyTorch-trained models, as `safetensors.torch.save_file(model.state_dict())` writes them
(no Latent metadata), and the images and figures PyTorch computes for them. Needs torch, numpy,
safetensors, latent_torch (`pip install ./python`) and Fashion-MNIST (Debian's dataset-fashion-mnist).

interop_vae_state_dict.safetensors   ConvVAE(latent=16, bernoulli), STEPS Adam steps on the train split,
                                     stored as BF16 (the import widens it to F32).
interop_vq_state_dict.safetensors    VQVAE(K=256, D=64, ema=True: EMA codebook buffers included), STEPS Adam
                                     steps, stored as F16.
interop_figures.safetensors          images [N,28,28] U8 and labels [N] U8: the first N test images;
                                     eps [N,16] F32: the noise of PyTorch's one-sample -ELBO;
                                     metadata "figures": JSON of what PyTorch computes with the stored
                                     (rounded) weights on those images, with Latent's definitions (`latent eval`):
                                     vq_reconstruction_mse (unclamped, per pixel), vq_perplexity and
                                     vq_codes_in_use (code histogram of all N images), vae_neg_elbo_nats
                                     (with eps), vae_kl_nats (analytic, no noise), vae_neg_elbo_tolerance
                                     (4 standard errors of the difference of two one-sample estimates,
                                     from SAMPLES draws per image), vq_min_code_margin (smallest relative
                                     gap between the best and second-best code: float rounding cannot flip
                                     an argmin when it is well above 1e-6).

Usage: python tools/make_interop_fixtures.py [output-folder] [--data DIR]
"""
import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file

from latent_torch import ConvVAE, VQVAE, load_fmnist
from latent_torch.data import FMNIST, to_unit

STEPS, BATCH, N, SAMPLES, SEED = 60, 64, 64, 64, 14

ap = argparse.ArgumentParser()
ap.add_argument("out", nargs="?", default=str(Path(__file__).resolve().parent.parent / "Tests/LatentTests/Fixtures"))
ap.add_argument("--data", default=FMNIST)
args = ap.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(SEED)
torch.set_num_threads(2)

train_u8, _ = load_fmnist(args.data, "train")
test_u8, test_labels = load_fmnist(args.data, "test")
train = to_unit(train_u8[: STEPS * BATCH])
x = to_unit(test_u8[:N])


def fit(model, loss):
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()
    for s in range(STEPS):
        opt.zero_grad()
        loss(model, train[s * BATCH:(s + 1) * BATCH]).backward()
        opt.step()
    model.eval()


def round_to(model, dtype):
    with torch.no_grad():
        for t in model.state_dict().values():
            t.copy_(t.to(dtype).float())
    return {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}


vae = ConvVAE()
fit(vae, lambda m, b: m.loss(b)[0])
vae_weights = round_to(vae, torch.bfloat16)
vq = VQVAE(ema=True)
fit(vq, lambda m, b: m.loss(b)[0])
vq_weights = round_to(vq, torch.float16)

with torch.no_grad():
    eps = torch.randn(N, vae.latent)
    _, stats = vae.loss(x, eps)
    neg_elbo = stats["rec"] + stats["kl"]
    # Per-image one-sample -ELBO over SAMPLES draws: its variance sets the Monte-Carlo tolerance.
    mu, logvar = vae.encode(x)
    draws = []
    for _ in range(SAMPLES):
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        draws.append(torch.nn.functional.binary_cross_entropy_with_logits(vae.dec(z), x, reduction="none").sum((1, 2, 3)))
    per_image_var = torch.stack(draws).var(0).double()
    tolerance = 4 * math.sqrt(2 * per_image_var.mean().item() / N)

    z_e = vq.enc(x)
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, vq.vq.D).double()
    e = vq.vq.embedding.double()
    dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ e.t() + e.pow(2).sum(1)[None, :]
    best2 = dist.topk(2, dim=1, largest=False).values
    margin = ((best2[:, 1] - best2[:, 0]) / best2[:, 0].abs().clamp_min(1e-12)).min().item()
    x_rec, _, _, idx = vq(x)
    mse = ((x_rec.double() - x.double()) ** 2).sum().item() / (N * 28 * 28)
    counts = torch.bincount(idx.reshape(-1), minlength=vq.vq.K).double()
    p = counts / counts.sum()
    perplexity = math.exp(-(p * torch.log(p + 1e-10)).sum().item())
    usage = (counts > 0).double().mean().item()

figures = {"vq_reconstruction_mse": mse, "vq_perplexity": perplexity, "vq_codes_in_use": usage,
           "vq_min_code_margin": margin, "vae_neg_elbo_nats": neg_elbo, "vae_kl_nats": stats["kl"],
           "vae_reconstruction_nats": stats["rec"], "vae_neg_elbo_tolerance": tolerance,
           "steps": STEPS, "batch": BATCH, "images": N, "seed": SEED}
save_file(vae_weights, str(out / "interop_vae_state_dict.safetensors"))
save_file(vq_weights, str(out / "interop_vq_state_dict.safetensors"))
save_numpy({"images": test_u8[:N].numpy(), "labels": test_labels[:N].numpy().astype(np.uint8),
            "eps": eps.numpy()}, str(out / "interop_figures.safetensors"), metadata={"figures": json.dumps(figures)})
print(json.dumps(figures, indent=1))
