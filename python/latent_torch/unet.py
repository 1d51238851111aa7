"""The DDPM U-Net (Ho et al. 2020): the PyTorch twin of Sources/Latent/Models/Diffusion/UNet.swift and
UNetBlocks.swift, parameter name for parameter name (`down.0.0.conv1.weight`, `mid.1.q.weight`, ...)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim):
    """[sin(t*w_i), cos(t*w_i)], w_i = exp(-ln(10^4) * i / (dim/2 - 1)), float32."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / max(half - 1, 1))
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def norm(ch, groups=32):
    return nn.GroupNorm(groups, ch, eps=1e-6)  # eps 1e-6 as the TF original


class ResBlock(nn.Module):
    """GN-SiLU-Conv3x3, + Linear(SiLU(temb)), GN-SiLU-Dropout-Conv3x3, residual (1x1 shortcut when channels change)."""

    def __init__(self, in_ch, out_ch, temb_ch, dropout, groups=32):
        super().__init__()
        self.norm1 = norm(in_ch, groups)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.temb_proj = nn.Linear(temb_ch, out_ch)
        self.norm2 = norm(out_ch, groups)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return self.shortcut(x) + h


class AttnBlock(nn.Module):
    """Single-head spatial self-attention: GN, 1x1 q/k/v, softmax(q k^T / sqrt(C)) v, 1x1 proj_out, residual."""

    def __init__(self, ch, groups=32):
        super().__init__()
        self.norm = norm(ch, groups)
        self.q = nn.Conv2d(ch, ch, 1)
        self.k = nn.Conv2d(ch, ch, 1)
        self.v = nn.Conv2d(ch, ch, 1)
        self.proj_out = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def forward(self, x):
        B, C, H, W = x.shape
        h = self.norm(x)
        q = self.q(h).reshape(B, C, H * W).transpose(1, 2)
        k = self.k(h).reshape(B, C, H * W)
        v = self.v(h).reshape(B, C, H * W).transpose(1, 2)
        w = torch.softmax(torch.bmm(q, k) * C ** -0.5, dim=-1)
        h = torch.bmm(w, v).transpose(1, 2).reshape(B, C, H, W)
        return x + self.proj_out(h)


class Downsample(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet(nn.Module):
    """Epsilon (or v) prediction U-Net; the defaults are "fmnist-small" (6,469,889 parameters).
    Arguments are Latent's UNetConfiguration JSON keys. With num_classes an Embedding(num_classes+1, 4C)
    is added; index num_classes is the null class of classifier-free guidance."""

    def __init__(self, in_ch=1, ch=64, ch_mult=(1, 2, 2), num_res_blocks=2, attn_resolutions=(7,), dropout=0.1,
                 resolution=28, num_classes=None, norm_groups=32):
        super().__init__()
        self.cfg = {"in_ch": in_ch, "ch": ch, "ch_mult": list(ch_mult), "num_res_blocks": num_res_blocks,
                    "attn_resolutions": list(attn_resolutions), "dropout": dropout, "resolution": resolution,
                    "num_classes": num_classes, "norm_groups": norm_groups}
        self.ch, self.num_classes, self.in_ch, self.resolution = ch, num_classes, in_ch, resolution
        g = norm_groups
        temb_ch = 4 * ch
        self.temb = nn.Sequential(nn.Linear(ch, temb_ch), nn.SiLU(), nn.Linear(temb_ch, temb_ch))
        self.class_emb = nn.Embedding(num_classes + 1, temb_ch) if num_classes is not None else None
        self.conv_in = nn.Conv2d(in_ch, ch, 3, padding=1)
        self.down = nn.ModuleList()
        skip_chs, cur, res = [ch], ch, resolution
        for level, mult in enumerate(ch_mult):
            for _ in range(num_res_blocks):
                blocks = [ResBlock(cur, ch * mult, temb_ch, dropout, g)]
                cur = ch * mult
                if res in attn_resolutions:
                    blocks.append(AttnBlock(cur, g))
                self.down.append(nn.ModuleList(blocks))
                skip_chs.append(cur)
            if level != len(ch_mult) - 1:
                self.down.append(Downsample(cur))
                skip_chs.append(cur)
                res //= 2
        self.mid = nn.ModuleList([ResBlock(cur, cur, temb_ch, dropout, g), AttnBlock(cur, g),
                                  ResBlock(cur, cur, temb_ch, dropout, g)])
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(ch_mult))):
            for _ in range(num_res_blocks + 1):
                blocks = [ResBlock(cur + skip_chs.pop(), ch * mult, temb_ch, dropout, g)]
                cur = ch * mult
                if res in attn_resolutions:
                    blocks.append(AttnBlock(cur, g))
                self.up.append(nn.ModuleList(blocks))
            if level != 0:
                self.up.append(Upsample(cur))
                res *= 2
        assert not skip_chs
        self.norm_out = norm(cur, g)
        self.conv_out = nn.Conv2d(cur, in_ch, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def config(self):
        cfg = dict(self.cfg)
        if cfg["num_classes"] is None:
            del cfg["num_classes"]
        return cfg

    def forward(self, x, t, y=None):
        temb = self.temb(timestep_embedding(t, self.ch))
        if self.class_emb is not None:
            if y is None:  # unconditional call: the null class
                y = torch.full((x.shape[0],), self.num_classes, dtype=torch.long, device=x.device)
            temb = temb + self.class_emb(y)
        hs = [self.conv_in(x)]
        for m in self.down:
            if isinstance(m, Downsample):
                hs.append(m(hs[-1]))
            else:
                h = m[0](hs[-1], temb)
                for attn in m[1:]:
                    h = attn(h)
                hs.append(h)
        h = self.mid[0](hs[-1], temb)
        h = self.mid[1](h)
        h = self.mid[2](h, temb)
        for m in self.up:
            if isinstance(m, Upsample):
                h = m(h)
            else:
                h = m[0](torch.cat([h, hs.pop()], dim=1), temb)
                for attn in m[1:]:
                    h = attn(h)
        return self.conv_out(F.silu(self.norm_out(h)))
