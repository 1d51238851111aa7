"""Gaussian diffusion: the PyTorch twin of Sources/Latent/Models/Diffusion (NoiseSchedule.swift,
GaussianDiffusion.swift, Samplers.swift, TimestepSequence.swift). Timesteps are 0-based (0..T-1)."""
import math

import torch
import torch.nn.functional as F


def betas_for(schedule, T):
    """float64 betas of a Latent schedule: {"linear": {"start", "end"}} or {"cosine": {"s", "maxBeta"}}."""
    if "linear" in schedule:
        p = schedule["linear"]
        return torch.linspace(p["start"], p["end"], T, dtype=torch.float64)
    if "cosine" in schedule:
        p = schedule["cosine"]
        s, max_beta = p["s"], p["maxBeta"]
        f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
        return torch.tensor([min(1 - f(i + 1) / f(i), max_beta) for i in range(T)], dtype=torch.float64)
    raise ValueError(f"unknown beta schedule {schedule!r}")


def uniform_timesteps(steps, T):
    """Latent's TimestepSequence.uniform: floor(i*T/steps), i < steps (the reference's range(0, T, T//steps)
    when steps divides T)."""
    if not 1 <= steps <= T:
        raise ValueError(f"cannot take {steps} sampling steps out of {T} timesteps")
    return [i * T // steps for i in range(steps)]


class GaussianDiffusion:
    """The forward process (schedule computed in float64, stored in float32), the L_simple loss and the
    ancestral DDPM and DDIM samplers with Latent's options (x0 clipping on by default, guidance)."""

    def __init__(self, T=1000, schedule=None, prediction="epsilon", p_uncond=0.0):
        schedule = schedule or {"linear": {"start": 1e-4, "end": 0.02}}
        if prediction not in ("epsilon", "v"):
            raise ValueError(f"unknown prediction target {prediction!r}")
        self.T, self.schedule, self.prediction, self.p_uncond = T, schedule, prediction, p_uncond
        betas = betas_for(schedule, T)
        ac = torch.cumprod(1.0 - betas, dim=0)
        ac_prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
        f = lambda a: a.float()  # noqa: E731
        self.betas, self.alphas_cumprod, self.alphas_cumprod_prev = f(betas), f(ac), f(ac_prev)
        self.sqrt_ac, self.sqrt_1m_ac = f(ac.sqrt()), f((1.0 - ac).sqrt())
        self.posterior_var = f(betas * (1.0 - ac_prev) / (1.0 - ac))
        self.posterior_c0 = f(betas * ac_prev.sqrt() / (1.0 - ac))
        self.posterior_ct = f((1.0 - ac_prev) * (1.0 - betas).sqrt() / (1.0 - ac))

    def config(self):
        return {"T": self.T, "schedule": self.schedule, "prediction": self.prediction, "p_uncond": self.p_uncond}

    @staticmethod
    def _at(a, t):
        return a.to(t.device)[t][:, None, None, None]

    def q_sample(self, x0, t, noise):
        return self._at(self.sqrt_ac, t) * x0 + self._at(self.sqrt_1m_ac, t) * noise

    def loss(self, model, x0, y=None):
        """L_simple: MSE of the predicted epsilon (or v); labels dropped to the null class w.p. p_uncond."""
        t = torch.randint(0, self.T, (x0.shape[0],), device=x0.device)
        noise = torch.randn_like(x0)
        if y is not None and self.p_uncond > 0:
            drop = torch.rand(y.shape, device=y.device) < self.p_uncond
            y = torch.where(drop, torch.full_like(y, model.num_classes), y)
        target = noise
        if self.prediction == "v":
            target = self._at(self.sqrt_ac, t) * noise - self._at(self.sqrt_1m_ac, t) * x0
        return F.mse_loss(model(self.q_sample(x0, t, noise), t, y), target)

    def _output(self, model, x, i, y, guidance):
        t = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
        if y is None or guidance == 0:
            return model(x, t, y)
        null = torch.full_like(y, model.num_classes)
        out = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([y, null]))
        c, u = out.chunk(2)
        return (1 + guidance) * c - guidance * u

    def eps_and_x0(self, out, x, i):
        a, s = self.sqrt_ac[i].item(), self.sqrt_1m_ac[i].item()
        if self.prediction == "epsilon":
            return out, (x - s * out) / a
        return a * out + s * x, a * x - s * out

    @torch.no_grad()
    def sample(self, model, shape, method="ddim", steps=50, eta=0.0, variance="beta", y=None, guidance=0.0,
               clip=True, noise=None, generator=None):
        """Images in [-1, 1] as Latent's `GaussianDiffusion.sample`: method "ddpm" (all T steps, sigma^2 =
        beta or the posterior variance) or "ddim" (`steps` uniform timesteps, `eta`). `noise(slot, shape)`
        gives the Gaussian noise: slot 0 is x_T, slot k+1 the noise of iteration k (default: torch.randn
        with `generator`; `latent_torch.philox.LatentNoise(seed)` reproduces Latent's)."""
        dev = next(model.parameters()).device
        if noise is None:
            noise = lambda slot, shp: torch.randn(shp, generator=generator, device=dev)  # noqa: E731
        x = noise(0, shape).to(dev)
        if method == "ddpm":
            sigma2 = self.betas if variance == "beta" else self.posterior_var
            for k, i in enumerate(reversed(range(self.T))):
                eps, x0 = self.eps_and_x0(self._output(model, x, i, y, guidance), x, i)
                if clip:
                    x0 = x0.clamp(-1, 1)
                mean = self.posterior_c0[i].item() * x0 + self.posterior_ct[i].item() * x
                x = mean + math.sqrt(sigma2[i].item()) * noise(k + 1, shape).to(dev) if i > 0 else mean
            return x
        if method != "ddim":
            raise ValueError(f"unknown sampling method {method!r}")
        seq = uniform_timesteps(steps, self.T)
        for k, (i, j) in enumerate(zip(reversed(seq), reversed([-1] + seq[:-1]))):
            a_t = self.alphas_cumprod[i].item()
            a_prev = self.alphas_cumprod[j].item() if j >= 0 else 1.0
            eps, x0 = self.eps_and_x0(self._output(model, x, i, y, guidance), x, i)
            if clip:
                x0 = x0.clamp(-1, 1)
            sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
            x = math.sqrt(a_prev) * x0 + math.sqrt(max(1 - a_prev - sigma ** 2, 0.0)) * eps
            if sigma > 0:
                x = x + sigma * noise(k + 1, shape).to(dev)
        return x

    def ddim_sample(self, model, shape, steps=50, eta=0.0, y=None, guidance=0.0, clip=False, generator=None):
        """The reference's DDIM call: no clipping by default (Latent's `latent sample` clips)."""
        return self.sample(model, shape, method="ddim", steps=steps, eta=eta, y=y, guidance=guidance, clip=clip,
                           generator=generator)


class DDPM(torch.nn.Module):
    """A Latent "ddpm" checkpoint's model: the U-Net (its parameters at the top level of the state_dict,
    no prefix, as in Latent) and the diffusion process. `config()` is Latent's DDPMConfiguration JSON."""

    def __init__(self, unet=None, diffusion=None):
        super().__init__()
        from .unet import UNet
        self.unet = UNet(**(unet or {}))
        self.diffusion = GaussianDiffusion(**(diffusion or {}))

    def config(self):
        return {"unet": self.unet.config(), "diffusion": self.diffusion.config()}

    def state_dict(self, *args, **kwargs):
        return self.unet.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True, **kwargs):
        return self.unet.load_state_dict(state_dict, strict=strict, **kwargs)

    def forward(self, x, t, y=None):
        return self.unet(x, t, y)

    def sample(self, count, **kwargs):
        u = self.unet
        return self.diffusion.sample(u, (count, u.in_ch, u.resolution, u.resolution), **kwargs)
