"""Multi-scale Glow/RealNVP normalizing flow: the PyTorch twin of Sources/Latent/Models/Flow/ (same
state_dict keys, same layer order and formulas).

    flow = NormalizingFlow(levels=2, steps_per_level=8, hidden=96, coupling="glow")
    log_p, zs = flow.log_likelihood(v)        # v: dequantised images in (0, 1), [N, 1, 28, 28]
    bpd = flow.bits_per_dim(log_p)            # bits/dim of the discrete images
"""
import math

import numpy as np
import scipy.linalg
import torch
import torch.nn as nn
import torch.nn.functional as F

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def squeeze2x2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)


def unsqueeze2x2(x):
    n, c, h, w = x.shape
    c //= 4
    return x.reshape(n, c, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c, 2 * h, 2 * w)


class ActNorm(nn.Module):
    """y = (x + bias) * exp(logs); data-dependent init on the first training batch (buffer `initialized`)."""

    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.logs = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer("initialized", torch.zeros(1))

    @torch.no_grad()
    def initialize(self, x):
        x64 = x.double()
        mean = x64.mean(dim=(0, 2, 3), keepdim=True)
        std = ((x64 * x64).mean(dim=(0, 2, 3), keepdim=True) - mean * mean).clamp_min(0).sqrt()
        self.bias.copy_(-mean)
        self.logs.copy_(-torch.log(std + 1e-6))
        self.initialized.fill_(1)

    def forward(self, x):
        if self.training and self.initialized.item() == 0:
            self.initialize(x)
        y = (x + self.bias) * torch.exp(self.logs)
        return y, (x.shape[2] * x.shape[3] * self.logs.sum()).expand(x.shape[0])

    def inverse(self, y):
        return y * torch.exp(-self.logs) - self.bias


class InvertibleConv1x1(nn.Module):
    """W = P (lower*strict_lower + I) (upper*strict_upper + diag(sign_s * exp(log_s))), from a random rotation."""

    def __init__(self, channels):
        super().__init__()
        q = torch.linalg.qr(torch.randn(channels, channels, dtype=torch.float64))[0].numpy()
        p, l, u = scipy.linalg.lu(q)
        s = np.diag(u)
        self.register_buffer("p", torch.tensor(p, dtype=torch.float32))
        self.register_buffer("sign_s", torch.tensor(np.sign(s), dtype=torch.float32))
        self.lower = nn.Parameter(torch.tensor(l, dtype=torch.float32))
        self.upper = nn.Parameter(torch.tensor(np.triu(u, 1), dtype=torch.float32))
        self.log_s = nn.Parameter(torch.tensor(np.log(np.abs(s)), dtype=torch.float32))
        eye = torch.eye(channels)
        self.register_buffer("lower_mask", torch.tril(torch.ones(channels, channels), -1), persistent=False)
        self.register_buffer("upper_mask", torch.triu(torch.ones(channels, channels), 1), persistent=False)
        self.register_buffer("eye", eye, persistent=False)

    def weight(self):
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.upper_mask + self.eye * (self.sign_s * torch.exp(self.log_s))
        return self.p @ lower @ upper

    def forward(self, x):
        c = x.shape[1]
        y = F.conv2d(x, self.weight().reshape(c, c, 1, 1))
        return y, (x.shape[2] * x.shape[3] * self.log_s.sum()).expand(x.shape[0])

    def inverse(self, y):
        c = y.shape[1]
        w = torch.linalg.inv(self.weight().double()).to(y.dtype)
        return F.conv2d(y, w.reshape(c, c, 1, 1))


class AffineCoupling(nn.Module):
    """x_a = first half passes; net(x_a) -> shift (first half), raw (second half) for x_b.
    glow: y_b = (x_b + shift) * sigmoid(raw + 2); realnvp: y_b = x_b * exp(tanh(raw)) + shift."""

    def __init__(self, channels, hidden, coupling="glow"):
        super().__init__()
        if coupling not in ("glow", "realnvp"):
            raise ValueError(f"unknown coupling {coupling!r}")
        self.coupling, self.half = coupling, channels // 2
        self.net = nn.Sequential(
            nn.Conv2d(self.half, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
            nn.Conv2d(hidden, channels, 3, padding=1))
        nn.init.zeros_(self.net[4].weight)
        nn.init.zeros_(self.net[4].bias)

    def _shift_scale(self, xa):
        h = self.net(xa)
        shift, raw = h[:, :self.half], h[:, self.half:]
        if self.coupling == "glow":
            s = torch.sigmoid(raw + 2)
            return shift, torch.log(s), s
        log_s = torch.tanh(raw)
        return shift, log_s, torch.exp(log_s)

    def forward(self, x):
        xa, xb = x[:, :self.half], x[:, self.half:]
        shift, log_s, s = self._shift_scale(xa)
        yb = (xb + shift) * s if self.coupling == "glow" else xb * s + shift
        return torch.cat([xa, yb], 1), log_s.flatten(1).sum(1)

    def inverse(self, y):
        ya, yb = y[:, :self.half], y[:, self.half:]
        shift, _, s = self._shift_scale(ya)
        xb = yb / s - shift if self.coupling == "glow" else (yb - shift) / s
        return torch.cat([ya, xb], 1)


class FlowStep(nn.Module):
    def __init__(self, channels, hidden, coupling):
        super().__init__()
        self.actnorm = ActNorm(channels)
        self.invconv = InvertibleConv1x1(channels)
        self.coupling = AffineCoupling(channels, hidden, coupling)

    def forward(self, x):
        x, d1 = self.actnorm(x)
        x, d2 = self.invconv(x)
        x, d3 = self.coupling(x)
        return x, d1 + d2 + d3

    def inverse(self, y):
        return self.actnorm.inverse(self.invconv.inverse(self.coupling.inverse(y)))


class FlowLevel(nn.Module):
    def __init__(self, channels, steps, hidden, coupling):
        super().__init__()
        self.steps = nn.ModuleList([FlowStep(channels, hidden, coupling) for _ in range(steps)])


class NormalizingFlow(nn.Module):
    """Dequantised v -> logit(alpha + (1 - 2 alpha) v) -> per level: squeeze, steps, split (second half
    of the channels to N(0, I)); the last level's output is the last z."""

    def __init__(self, channels=1, image_size=28, levels=2, steps_per_level=8, hidden=96, coupling="glow",
                 alpha=0.05):
        super().__init__()
        side = image_size
        for level in range(1, levels + 1):
            if side % 2:
                raise ValueError(f"flow input {image_size}x{image_size} is not divisible by the squeeze factor 2 "
                                 f"at level {level}")
            side //= 2
        self.channels, self.image_size, self.n_levels = channels, image_size, levels
        self.steps_per_level, self.hidden, self.coupling, self.alpha = steps_per_level, hidden, coupling, alpha
        shapes, c = [], channels
        for level in range(levels):
            c *= 4
            shapes.append(c)
            c //= 2
        self.levels = nn.ModuleList([FlowLevel(ch, steps_per_level, hidden, coupling) for ch in shapes])

    @classmethod
    def from_config(cls, config):
        keys = {"channels": "channels", "imageSize": "image_size", "levels": "levels",
                "stepsPerLevel": "steps_per_level", "hidden": "hidden", "coupling": "coupling", "alpha": "alpha"}
        return cls(**{keys[k]: v for k, v in config.items()})

    def config(self):
        return {"channels": self.channels, "imageSize": self.image_size, "levels": self.n_levels,
                "stepsPerLevel": self.steps_per_level, "hidden": self.hidden, "coupling": self.coupling,
                "alpha": self.alpha}

    @property
    def dimensions(self):
        return self.channels * self.image_size ** 2

    def log_likelihood(self, v):
        """log p(v) per image (nats) and the latents [z_0, ..., z_L]."""
        a = self.alpha
        p = a + (1 - 2 * a) * v
        h = torch.log(p) - torch.log(1 - p)
        log_det = math.log(1 - 2 * a) * self.dimensions - (torch.log(p) + torch.log(1 - p)).flatten(1).sum(1)
        zs = []
        for i, level in enumerate(self.levels):
            h = squeeze2x2(h)
            for step in level.steps:
                h, d = step(h)
                log_det = log_det + d
            if i < len(self.levels) - 1:
                c = h.shape[1]
                zs.append(h[:, c // 2:])
                h = h[:, :c // 2]
        zs.append(h)
        log_prior = sum((z * z).flatten(1).sum(1) for z in zs) * -0.5 - HALF_LOG_2PI * self.dimensions
        return log_prior + log_det, zs

    def bits_per_dim(self, log_p):
        d = self.dimensions
        return -(log_p - d * math.log(256)) / (d * math.log(2))

    @staticmethod
    def dequantize(images, u):
        """images = k/255 in [0, 1], u ~ U[0, 1): v = (k + u)/256."""
        return images * (255 / 256) + u / 256

    def loss(self, images, u):
        return self.bits_per_dim(self.log_likelihood(self.dequantize(images, u))[0]).mean()

    @torch.no_grad()
    def decode(self, zs):
        h = zs[-1]
        for i in reversed(range(len(self.levels))):
            if i < len(self.levels) - 1:
                h = torch.cat([h, zs[i]], 1)
            for step in reversed(self.levels[i].steps):
                h = step.inverse(h)
            h = unsqueeze2x2(h)
        return ((torch.sigmoid(h) - self.alpha) / (1 - 2 * self.alpha)).clamp(0, 1)

    def latent_shapes(self):
        shapes, c, side = [], self.channels, self.image_size
        for i in range(self.n_levels):
            c, side = c * 4, side // 2
            shapes.append((c // 2 if i < self.n_levels - 1 else c, side, side))
            c //= 2
        return shapes

    @torch.no_grad()
    def sample(self, n, temperature=1.0):
        return self.decode([temperature * torch.randn(n, *s) for s in self.latent_shapes()])
