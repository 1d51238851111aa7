"""Checkpoint-level twins of Latent's "autoencoder", "dit" and "ldm" models: the state_dict keys of
each equal the names in a Latent checkpoint (Sources/Latent/Models/DiT/DiTDiffusionModel.swift,
Sources/Latent/Models/LatentDiffusion/LatentDiffusionModel.swift)."""
import inspect

import torch

from .autoencoder import AutoencoderKL
from .diffusion import GaussianDiffusion
from .dit import DiT

def _build(cls, config):
    """cls(**config) without the keys its constructor does not take (Latent records more, such as
    the autoencoder's "resolution")."""
    accepted = inspect.signature(cls.__init__).parameters
    return cls(**{k: v for k, v in (config or {}).items() if k in accepted})


def autoencoder_from_config(config):
    return _build(AutoencoderKL, config)


def dit_from_config(config):
    return _build(DiT, config)


class DiTDiffusion(torch.nn.Module):
    """A Latent "dit" checkpoint's model (a DiT over pixels): the DiT's parameters at the top level of the
    state_dict under the official names, and the diffusion process."""

    def __init__(self, dit=None, diffusion=None):
        super().__init__()
        self._config = {"dit": dict(dit or {}), "diffusion": dict(diffusion or {})}
        self.dit = dit_from_config(dit)
        self.diffusion = GaussianDiffusion(**(diffusion or {}))

    def config(self):
        return self._config

    def state_dict(self, *args, **kwargs):
        return self.dit.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True, **kwargs):
        return self.dit.load_state_dict(state_dict, strict=strict, **kwargs)

    def forward(self, x, t, y=None):
        return self.dit(x, t, y)

    def sample(self, count, **kwargs):
        d = self.dit
        size = d.x_embedder.grid_size * d.patch_size
        return self.diffusion.sample(d, (count, d.in_channels, size, size), **kwargs)


class LatentDiffusion(torch.nn.Module):
    """A Latent "ldm" checkpoint's model: the denoiser's parameters at the top level (a DiT, or the U-Net
    with "denoiser": "unet") and the autoencoder under `first_stage_model.`; sampling draws scaled
    latents and decodes them (latents are never clipped)."""

    PREFIX = "first_stage_model."

    def __init__(self, autoencoder=None, denoiser="dit", dit=None, unet=None, diffusion=None, **recorded):
        super().__init__()
        self._config = {"autoencoder": dict(autoencoder or {}), "denoiser": denoiser, "dit": dict(dit or {}),
                        "unet": dict(unet or {}), "diffusion": dict(diffusion or {}), **recorded}
        self.first_stage_model = autoencoder_from_config(autoencoder)
        if denoiser == "dit":
            self.denoiser = dit_from_config(dit)
        elif denoiser == "unet":
            from .unet import UNet
            self.denoiser = UNet(**(unet or {}))
        else:
            raise ValueError(f"unknown denoiser {denoiser!r}; choose dit or unet")
        self.diffusion = GaussianDiffusion(**(diffusion or {}))

    def config(self):
        return self._config

    def state_dict(self, *args, **kwargs):
        weights = dict(self.denoiser.state_dict())
        weights.update({self.PREFIX + k: v for k, v in self.first_stage_model.state_dict().items()})
        return weights

    def load_state_dict(self, state_dict, strict=True, **kwargs):
        first = {k[len(self.PREFIX):]: v for k, v in state_dict.items() if k.startswith(self.PREFIX)}
        rest = {k: v for k, v in state_dict.items() if not k.startswith(self.PREFIX)}
        self.first_stage_model.load_state_dict(first, strict=strict, **kwargs)
        return self.denoiser.load_state_dict(rest, strict=strict, **kwargs)

    def forward(self, z, t, y=None):
        return self.denoiser(z, t, y)

    def sample(self, count, **kwargs):
        """Images in [-1, 1]: latents from the diffusion sampler, divided by the scale factor, decoded."""
        ae = self.first_stage_model
        f = 2 ** (len(self._config["autoencoder"].get("ch_mult", (1, 2, 2))) - 1)
        side = self._config["autoencoder"].get("resolution", 28) // f
        kwargs["clip"] = False
        z = self.diffusion.sample(self.denoiser, (count, ae.z_channels, side, side), **kwargs)
        return ae.decode(z / ae.scale_factor)
