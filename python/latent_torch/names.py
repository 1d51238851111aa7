"""The reference names of the default models ("fmnist-small", "fmnist-conv", "fmnist-vq") and a parameter count."""
from .unet import UNet
from .vae import ConvVAE
from .vqvae import VQVAE

BY_NAME = {"fmnist-small": UNet, "fmnist-conv": ConvVAE, "fmnist-vq": VQVAE}


def build(name, **kw):
    """The model called `name` with keyword arguments `kw` (e.g. build("fmnist-vq", ema=True))."""
    return BY_NAME[name](**kw)


def count_params(model):
    return sum(p.numel() for p in model.parameters())
