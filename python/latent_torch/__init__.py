"""latent_torch: PyTorch twins of Latent's models, with the same parameter names, and readers/writers
of Latent checkpoints.

    from latent_torch import load_checkpoint, save_checkpoint
    model, config = load_checkpoint("models/fmnist-vae/checkpoint.safetensors")
"""
from .checkpoint import build_model, load_checkpoint, read_checkpoint, save_checkpoint
from .classifier import ConvClassifier
from .data import load_fmnist
from .diffusion import DDPM, GaussianDiffusion, uniform_timesteps
from .latent_models import DiTDiffusion, LatentDiffusion
from .names import build, count_params
from .philox import LatentNoise
from .unet import UNet
from .vae import ConvVAE
from .vqvae import VQVAE, VectorQuantizer

__all__ = ["build", "count_params", "build_model", "load_checkpoint", "read_checkpoint", "save_checkpoint", "ConvClassifier", "load_fmnist",
           "DDPM", "DiTDiffusion", "LatentDiffusion", "GaussianDiffusion", "uniform_timesteps", "LatentNoise", "UNet", "ConvVAE", "VQVAE",
           "VectorQuantizer"]

# Models added by other work (the latent autoencoder, the DiT) join when their modules are present.
try:
    from . import autoencoder  # noqa: F401
    __all__.append("autoencoder")
except ImportError:
    pass
try:
    from . import dit  # noqa: F401
    __all__.append("dit")
except ImportError:
    pass
