#!/usr/bin/env python3
"""Writes the VAE and VQ-VAE interop fixtures in Tests/LatentTests/Fixtures/ from the PyTorch reference
(python/latent_torch: ConvVAE "fmnist-conv", VQVAE "fmnist-vq"; `pip install ./python`); needs torch, numpy,
safetensors and Fashion-MNIST in /usr/share/datasets/fashion-mnist.

Both files hold the reference model's state_dict (default config, torch.manual_seed(SEED)) with every
weight rounded to float16 and stored as F16, so that Latent's F16 -> F32 read gives exactly the float32
values PyTorch computed with (F32 would not fit the size budget: the VQ-VAE alone is 1.2 MB in F32).
Metadata: "keys" = the state_dict keys in order (comma separated), "parameters" = count_params of the
default model. Tensors prefixed "fixture." are not weights:

vae_reference.safetensors (ConvVAE(latent=16), train mode)
    images [8,1,28,28] U8: the first 8 Fashion-MNIST test images (x = images / 255);
    eps [8,16]: the reparameterisation noise (torch.randn_like patched to return it);
    loss, rec, kl (shape [1]): ConvVAE.loss(x) (negative ELBO in nats per image and its two parts);
    grad.<name>: d loss / d parameter for a few parameters;
    curve_images [64,1,28,28] U8: Fashion-MNIST test images 8..71, for the Swift-only training-curve tests.
vq_reference.safetensors (VQVAE(K=256, D=64, beta=0.25))
    images [8,1,28,28] U8 as above;
    indices [8,7,7] I32: the reference codes. The codebook is re-drawn as U(-0.05, 0.05) (seed in the
        metadata) so that every vector's best code beats the second best by a relative 1e-4 (checked in
        float64): float rounding cannot flip an argmin;
    loss, rec, vq, perplexity [1]: VQVAE.loss(x) with ema=False; grad.<name> for a few parameters;
    ema.loss, ema.rec [1]: the same weights in VQVAE(ema=True) (its buffers as the reference initialises
        them: cluster_size 0, embed_sum = embedding), one training-mode forward; ema.cluster_size,
        ema.embed_sum, ema.embedding: the codebook state after that forward's EMA update.

Usage: python tools/make_vae_fixtures.py [output-folder]
"""
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

import latent_torch as models

SEED = 7
out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Tests/LatentTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)

all_test, _ = models.load_fmnist(split="test")
images_u8 = all_test[:8].reshape(8, 1, 28, 28).numpy()
curve_u8 = all_test[8:72].reshape(64, 1, 28, 28).numpy()
x = torch.from_numpy(images_u8.astype(np.float32)) / 255.0


def round_to_f16(model):
    with torch.no_grad():
        for t in model.state_dict().values():
            t.copy_(t.half().float())


def weights(model):
    return {k: v.detach().numpy().astype(np.float16) for k, v in model.state_dict().items()}


def scalar(v):
    return np.array([float(v)], dtype=np.float32)


def meta(model, params):
    return {"keys": ",".join(model.state_dict().keys()), "parameters": str(params), "seed": str(SEED)}


# ---- ConvVAE -----------------------------------------------------------------------------------
torch.manual_seed(SEED)
vae = models.ConvVAE(latent=16)
round_to_f16(vae)
eps = torch.randn(8, 16)
orig_randn_like = torch.randn_like
torch.randn_like = lambda t: eps.clone()
loss, stats = vae.loss(x)
torch.randn_like = orig_randn_like
loss.backward()
grads = {n: p.grad for n, p in vae.named_parameters()}
vae_tensors = weights(vae)
vae_tensors.update({
    "fixture.images": images_u8, "fixture.eps": eps.numpy(), "fixture.curve_images": curve_u8,
    "fixture.loss": scalar(loss.item()), "fixture.rec": scalar(stats["rec"]), "fixture.kl": scalar(stats["kl"]),
})
for name in ["enc.0.weight", "enc.0.bias", "enc.5.bias", "dec.0.bias", "dec.3.bias", "dec.5.weight", "dec.5.bias"]:
    vae_tensors["fixture.grad." + name] = grads[name].numpy().astype(np.float32)
save_file(vae_tensors, str(out / "vae_reference.safetensors"), metadata=meta(vae, models.count_params(models.ConvVAE())))
print("vae", stats, "loss", loss.item())

# ---- VQVAE -------------------------------------------------------------------------------------
# The reference initialisation U(-1/K, 1/K) leaves codes so close together that the best and second-best
# distances of some vectors differ by ~1e-6 relative, where float rounding decides the argmin. The fixture
# re-draws the codebook as U(-0.05, 0.05) (the scale of the encoder's outputs) and takes the first seed
# from SEED on whose codes are unambiguous: best and second-best distance (float64) differ by a relative
# 1e-4, far above float32 rounding.
def margin_of(model):
    with torch.no_grad():
        z = model.enc(x).permute(0, 2, 3, 1).reshape(-1, 64).double()
        d = torch.cdist(z, model.vq.embedding.double()).pow(2)
        two = d.topk(2, dim=1, largest=False).values
        return ((two[:, 1] - two[:, 0]) / two[:, 0].clamp_min(1e-12)).min().item()


for vq_seed in range(SEED, SEED + 100):
    torch.manual_seed(vq_seed)
    vq = models.VQVAE()
    with torch.no_grad():
        vq.vq.embedding.uniform_(-0.05, 0.05)
    round_to_f16(vq)
    margin = margin_of(vq)
    if margin > 1e-4:
        break
print("vq seed", vq_seed, "smallest relative code margin", margin)
assert margin > 1e-4

loss, stats = vq.loss(x)
loss.backward()
_, _, _, idx = vq(x)
grads = {n: p.grad for n, p in vq.named_parameters()}
vq_tensors = weights(vq)
vq_tensors.update({
    "fixture.images": images_u8, "fixture.indices": idx.to(torch.int32).numpy(),
    "fixture.loss": scalar(loss.item()), "fixture.rec": scalar(stats["rec"]), "fixture.vq": scalar(stats["vq"]),
    "fixture.perplexity": scalar(stats["perplexity"]),
})
for name in ["enc.0.weight", "enc.4.bias", "vq.embedding", "dec.0.bias", "dec.4.weight", "dec.4.bias"]:
    vq_tensors["fixture.grad." + name] = grads[name].numpy().astype(np.float32)

ema = models.VQVAE(ema=True)
state = {k: v.clone() for k, v in vq.state_dict().items()}
state["vq.cluster_size"] = torch.zeros(256)
state["vq.embed_sum"] = vq.vq.embedding.detach().clone()
ema.load_state_dict(state)
ema.train()
eloss, estats = ema.loss(x)
vq_tensors.update({
    "fixture.ema.loss": scalar(eloss.item()), "fixture.ema.rec": scalar(estats["rec"]),
    "fixture.ema.cluster_size": ema.vq.cluster_size.numpy().copy(),
    "fixture.ema.embed_sum": ema.vq.embed_sum.numpy().copy(),
    "fixture.ema.embedding": ema.vq.embedding.detach().numpy().copy(),
})
m = meta(vq, models.count_params(models.VQVAE()))
m["seed"] = str(vq_seed)
m["keys_ema"] = ",".join(ema.state_dict().keys())
save_file(vq_tensors, str(out / "vq_reference.safetensors"), metadata=m)
print("vq", stats, "loss", loss.item(), "ema", estats, eloss.item())
for f in ["vae_reference.safetensors", "vq_reference.safetensors"]:
    print(f, (out / f).stat().st_size, "bytes")
