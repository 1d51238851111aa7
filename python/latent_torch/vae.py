"""ConvVAE "fmnist-conv": the PyTorch twin of Sources/Latent/Models/VAE.swift (same state_dict keys)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class ConvVAE(nn.Module):
    """Conv(1,32,4,2,1)-ReLU-Conv(32,64,4,2,1)-ReLU-Flatten-Linear(3136, 2*latent) -> mu, logvar;
    Linear(latent, 3136)-ReLU-Unflatten-ConvT(64,32,4,2,1)-ReLU-ConvT(32,1,4,2,1) -> logits or means.

    `decoder` is Latent's VAEConfig decoder: "bernoulli" (logits, summed BCE), "gaussian" (means,
    fixed sigma) or "gaussian-learned" (one learned log sigma, state_dict key "log_sigma")."""

    def __init__(self, latent=16, decoder="bernoulli", sigma=0.1, beta=1.0, warmup=0):
        super().__init__()
        if decoder not in ("bernoulli", "gaussian", "gaussian-learned"):
            raise ValueError(f"unknown VAE decoder {decoder!r}")
        self.latent, self.decoder, self.sigma, self.beta, self.warmup = latent, decoder, sigma, beta, warmup
        self.enc = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),   # 28 -> 14
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),  # 14 -> 7
            nn.Flatten(), nn.Linear(64 * 7 * 7, 2 * latent))
        self.dec = nn.Sequential(
            nn.Linear(latent, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),  # 7 -> 14
            nn.ConvTranspose2d(32, 1, 4, 2, 1))              # 14 -> 28
        if decoder == "gaussian-learned":
            self.log_sigma = nn.Parameter(torch.full((1,), math.log(sigma)))

    def config(self):
        return {"latent": self.latent, "decoder": self.decoder, "sigma": self.sigma, "beta": self.beta,
                "warmup": self.warmup}

    def encode(self, x):
        return self.enc(x).chunk(2, dim=1)

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps  # reparameterisation
        return self.dec(z), mu, logvar

    def reconstruction_nll(self, output, x):
        """-log p(x|z) summed over pixels and images."""
        if self.decoder == "bernoulli":
            return F.binary_cross_entropy_with_logits(output, x, reduction="sum")
        log_sigma = self.log_sigma.reshape(()) if self.decoder == "gaussian-learned" else math.log(self.sigma)
        log_sigma = torch.as_tensor(log_sigma, dtype=output.dtype)
        return ((output - x) ** 2).sum() * 0.5 * torch.exp(-2 * log_sigma) + x.numel() * (log_sigma + HALF_LOG_2PI)

    def loss(self, x, eps=None, kl_weight=1.0):
        """(rec + kl_weight * kl, stats): the negative ELBO in nats per image with one sample z."""
        output, mu, logvar = self(x, eps)
        n = x.shape[0]
        rec = self.reconstruction_nll(output, x) / n
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
        return rec + kl_weight * kl, {"rec": rec.item(), "kl": kl.item()}

    def mean_image(self, output):
        return torch.sigmoid(output) if self.decoder == "bernoulli" else output.clamp(0, 1)

    @torch.no_grad()
    def reconstruct(self, x):
        """Images through the posterior means (z = mu), in [0, 1]."""
        return self.mean_image(self.dec(self.encode(x)[0]))

    @torch.no_grad()
    def sample(self, n, generator=None):
        dev = next(self.parameters()).device
        return self.mean_image(self.dec(torch.randn(n, self.latent, generator=generator, device=dev)))
