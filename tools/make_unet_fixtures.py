#!/usr/bin/env python3
"""Writes the DDPM interop fixtures in Tests/LatentTests/Fixtures/ from the PyTorch reference
(python/latent_torch: UNet, GaussianDiffusion; `pip install ./python`), needs torch, numpy and safetensors.

unet_fmnist_small_keys.txt
    "name shape" per line: the state_dict of UNet(num_classes=10), the fmnist-small config with
    class conditioning, in state_dict order; then "# parameters <n>" for the unconditional model.
unet_tiny.safetensors
    A small U-Net (config in the "config" metadata: ch 32, ch_mult (1, 1), 1 ResBlock per level,
    attention at 4x4, 10 classes, 1x8x8 inputs, GroupNorm with 8 groups) with seeded, non-zero weights (the zero-initialised
    convs re-randomised, GroupNorm affine parameters perturbed), every weight rounded to float16 and
    stored as F16 so that Latent's F16 -> F32 read gives exactly the values PyTorch computed with.
    Tensors prefixed "fixture." are not weights:
      x [4,1,8,8], t [4] (I32), y [4] (I32, the last one the null class 10): forward inputs;
      eps_cond = model(x, t, y), eps_uncond = model(x, t) (null class), in eval mode;
      loss_* : the reference L_simple for fixed x0, t, noise, y (eval mode, no label dropout) and the
      gradients of that loss for a few parameters ("fixture.grad.<name>").
diffusion_samplers.safetensors
    The reference samplers run on the tiny U-Net with their noise replaced by given arrays (torch.randn
    patched to hand out the rows of "*_noise" in call order; row 0 = initial noise, row k+1 = the noise of
    sampler iteration k):
      ddim: GaussianDiffusion() (T=1000), steps=5, eta=0.5, guidance 2.0, labels ddim_y, clip False.
      ddpm: GaussianDiffusion(T=10), var beta_tilde, clip True, labels ddpm_y, guidance 0;
      ddpm_beta: GaussianDiffusion(T=10), var beta, clip True, guidance 1.0, labels ddpm_y.
    and the variational bound terms (nats per image) for vlb_x0 / vlb_y on GaussianDiffusion(T=10) with
    x_t noise row t + 1 of vlb_noise: vlb_prior [2] (L_T), vlb_terms [10, 2] (row 0: decoder NLL L_0).

Usage: python tools/make_unet_fixtures.py [output-folder]
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

import latent_torch as models

out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Tests/LatentTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)

# ---- fmnist-small key list ---------------------------------------------------------------------
full = models.UNet(num_classes=10)
lines = [f"{k} {'x'.join(str(s) for s in v.shape)}" for k, v in full.state_dict().items()]
lines.append(f"# parameters {models.count_params(models.UNet())}")
(out / "unet_fmnist_small_keys.txt").write_text("\n".join(lines) + "\n")

# ---- tiny U-Net forward, loss and gradients ----------------------------------------------------
# GroupNorm groups: 8 instead of the default 32 for the tiny model (UNet's norm_groups). With
# 32 channels and 32 groups every group is one channel, and the per-channel time/class bias that a
# ResBlock adds before norm2 is removed exactly by that GroupNorm: the embeddings would have no effect
# and their gradients would be rounding noise. 8 groups of 4 channels keep the fixture small (ch 32)
# and meaningful. (The fmnist-small names and shapes above use the default 32 groups.)
NORM_GROUPS = 8
CONFIG = dict(in_ch=1, ch=32, ch_mult=(1, 1), num_res_blocks=1, attn_resolutions=(4,), dropout=0.1,
              resolution=8, num_classes=10)
torch.manual_seed(1234)
net = models.UNet(**CONFIG, norm_groups=NORM_GROUPS)
with torch.no_grad():
    for name, m in net.named_modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            m.reset_parameters()  # undo the zero initialisation of conv2 / proj_out / conv_out
        elif isinstance(m, torch.nn.GroupNorm):
            m.weight.copy_(1 + 0.2 * torch.randn_like(m.weight))
            m.bias.copy_(0.2 * torch.randn_like(m.bias))
    for p in net.parameters():
        p.copy_(p.half().float())  # exactly representable in F16
net.eval()

g = torch.Generator().manual_seed(99)
x = torch.randn(4, 1, 8, 8, generator=g)
t = torch.tensor([0, 17, 500, 999])
y = torch.tensor([3, 0, 9, 10])
with torch.no_grad():
    eps_cond = net(x, t, y)
    eps_uncond = net(x, t)

diffusion = models.GaussianDiffusion()
x0 = torch.rand(4, 1, 8, 8, generator=g) * 2 - 1
loss_t = torch.tensor([5, 250, 640, 998])
noise = torch.randn(4, 1, 8, 8, generator=g)
loss_y = torch.tensor([1, 2, 10, 7])
loss = torch.nn.functional.mse_loss(net(diffusion.q_sample(x0, loss_t, noise), loss_t, loss_y), noise)
net.zero_grad()
loss.backward()
GRAD_NAMES = ["conv_in.weight", "conv_in.bias", "temb.0.bias", "class_emb.weight", "down.0.0.norm1.weight",
              "down.2.1.q.weight", "mid.1.proj_out.weight", "up.0.0.shortcut.weight", "up.4.0.conv2.bias",
              "norm_out.bias", "conv_out.weight"]
params = dict(net.named_parameters())

f32 = lambda a: a.detach().numpy().astype(np.float32)
i32 = lambda a: a.numpy().astype(np.int32)
tensors = {k: v.detach().numpy().astype(np.float16) for k, v in net.state_dict().items()}
tensors.update({
    "fixture.x": f32(x), "fixture.t": i32(t), "fixture.y": i32(y),
    "fixture.eps_cond": f32(eps_cond), "fixture.eps_uncond": f32(eps_uncond),
    "fixture.loss_x0": f32(x0), "fixture.loss_t": i32(loss_t), "fixture.loss_noise": f32(noise),
    "fixture.loss_y": i32(loss_y), "fixture.loss": np.array([loss.item()], dtype=np.float32),
})
for name in GRAD_NAMES:
    tensors["fixture.grad." + name] = f32(params[name].grad)
config = dict(CONFIG, ch_mult=list(CONFIG["ch_mult"]), attn_resolutions=list(CONFIG["attn_resolutions"]),
              norm_groups=NORM_GROUPS)
save_file(tensors, str(out / "unet_tiny.safetensors"), metadata={"config": json.dumps(config, sort_keys=True)})


# ---- samplers with injected noise ---------------------------------------------------------------
def run_with_noise(fn, noise_rows):
    rows = iter(noise_rows)
    original = torch.randn
    torch.randn = lambda *args, **kwargs: next(rows).clone()
    try:
        return fn()
    finally:
        torch.randn = original


shape = (3, 1, 8, 8)
g = torch.Generator().manual_seed(7)
samplers = {}
ddim_noise = torch.randn(6, *shape, generator=g)
ddim_y = torch.tensor([0, 4, 9])
samplers["ddim_out"] = run_with_noise(lambda: diffusion.sample(
    net, shape, method="ddim", steps=5, eta=0.5, y=ddim_y, guidance=2.0, clip=False), ddim_noise)
small = models.GaussianDiffusion(T=10)
ddpm_noise = torch.randn(10, *shape, generator=g)
ddpm_y = torch.tensor([2, 5, 8])
samplers["ddpm_out"] = run_with_noise(lambda: small.sample(
    net, shape, method="ddpm", y=ddpm_y, guidance=0.0, variance="posterior", clip=True), ddpm_noise)
samplers["ddpm_beta_out"] = run_with_noise(lambda: small.sample(
    net, shape, method="ddpm", y=ddpm_y, guidance=1.0, variance="beta", clip=True), ddpm_noise)


# ---- variational bound (float64 post-processing of the reference model's outputs) -------------------
def vlb_reference(diff, model, x0, y, noise):
    """Per-image terms in nats: prior [B] and per-timestep [T, B] (row 0 = decoder NLL); sigma^2 = beta_tilde,
    x0 clipped; Ho et al. 2020 eq. 5 with the discretised Gaussian decoder of eq. 13 (exact erf)."""
    T = diff.T
    b = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    ac = torch.cumprod(1 - b, 0)
    ac_prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
    post = b * (1 - ac_prev) / (1 - ac)
    logv = torch.log(torch.cat([post[1:2], post[1:]]))
    x64 = x0.double()
    prior = (0.5 * (-1 - torch.log(1 - ac[-1]) + (1 - ac[-1]) + ac[-1] * x64 ** 2)).flatten(1).sum(1)
    terms = torch.zeros(T, x0.shape[0], dtype=torch.float64)
    for t in range(T):
        tt = torch.full((x0.shape[0],), t)
        xt = diff.q_sample(x0, tt, noise[t + 1])
        with torch.no_grad():
            eps = model(xt, tt, y)
        x0_hat = ((xt - diff.sqrt_1m_ac[t] * eps) / diff.sqrt_ac[t]).clamp(-1, 1)
        mean_p = (diff.posterior_c0[t] * x0_hat + diff.posterior_ct[t] * xt).double()
        if t == 0:
            inv = torch.exp(-0.5 * logv[0])
            cdf = lambda z: 0.5 * torch.erfc(-z / math.sqrt(2))
            plus, minus = inv * (x64 - mean_p + 1 / 255), inv * (x64 - mean_p - 1 / 255)
            p = torch.where(x64 < -0.999, cdf(plus), torch.where(x64 > 0.999, 1 - cdf(minus), cdf(plus) - cdf(minus)))
            terms[0] = -torch.log(p.clamp(min=1e-12)).flatten(1).sum(1)
        else:
            mean_q = (diff.posterior_c0[t] * x0 + diff.posterior_ct[t] * xt).double()
            terms[t] = (0.5 * (mean_q - mean_p) ** 2 * torch.exp(-logv[t])).flatten(1).sum(1)
    return prior, terms


vlb_x0 = torch.randint(0, 256, (2, 1, 8, 8), generator=g).float() / 127.5 - 1
vlb_x0[0, 0, 0, :4] = torch.tensor([-1.0, 1.0, -1.0, 1.0])
vlb_y = torch.tensor([6, 1])
vlb_noise = torch.randn(11, 2, 1, 8, 8, generator=g)
vlb_prior, vlb_terms = vlb_reference(small, net, vlb_x0, vlb_y, vlb_noise)
samplers.update({"vlb_x0": vlb_x0, "vlb_noise": vlb_noise, "vlb_prior": vlb_prior, "vlb_terms": vlb_terms})
sampler_tensors = {k: f32(v) for k, v in samplers.items()}
sampler_tensors["vlb_y"] = i32(vlb_y)
sampler_tensors.update({"ddim_noise": f32(ddim_noise), "ddim_y": i32(ddim_y),
                        "ddpm_noise": f32(ddpm_noise), "ddpm_y": i32(ddpm_y)})
save_file(sampler_tensors, str(out / "diffusion_samplers.safetensors"))
print("wrote", out)
