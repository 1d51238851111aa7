"""Latent checkpoints (Sources/Latent/IO/Checkpoint.swift) from and to PyTorch.

A checkpoint is one .safetensors file: the weights under their state_dict names, optimizer state under
"optimizer." (Adam moments "optimizer.exp_avg.<name>", the weight EMA "optimizer.ema.<name>", model
training state "optimizer.model_state.<name>"), and string metadata: format = "latent-checkpoint",
format_version, model_type ("vae", "vqvae", "ddpm", "classifier", "autoencoder", "dit", "ldm"), model_config (JSON), step, rng_seed,
rng_offset."""
import json
import os
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .autoencoder import AutoencoderKL
from .classifier import ConvClassifier
from .diffusion import DDPM
from .flow import NormalizingFlow
from .latent_models import DiTDiffusion, LatentDiffusion, autoencoder_from_config
from .vae import ConvVAE
from .vqvae import VQVAE

FORMAT = "latent-checkpoint"
FORMAT_VERSION = 1
OPTIMIZER_PREFIX = "optimizer."
EMA_PREFIX = OPTIMIZER_PREFIX + "ema."


def build_model(model_type, config=None):
    """A freshly initialised twin of Latent model `model_type` for a Latent config dict (missing keys
    take Latent's defaults, so {} is the shipped architecture's reference default)."""
    config = dict(config or {})
    if model_type == "vae":
        return ConvVAE(**config)
    if model_type == "vqvae":
        return VQVAE(**config)
    if model_type == "ddpm":
        return DDPM(unet=config.get("unet"), diffusion=config.get("diffusion"))
    if model_type == "classifier":
        return ConvClassifier(**config)
    if model_type == "autoencoder":
        return autoencoder_from_config(config)
    if model_type == "dit":
        return DiTDiffusion(dit=config.get("dit"), diffusion=config.get("diffusion"))
    if model_type == "ldm":
        return LatentDiffusion(**config)
    if model_type == "flow":
        return NormalizingFlow.from_config(config)
    raise ValueError(f"unknown model type {model_type!r}; choose one of vae, vqvae, ddpm, classifier, autoencoder, dit, ldm, "
                     "flow")


def model_type_of(model):
    for cls, name in ((ConvVAE, "vae"), (VQVAE, "vqvae"), (DDPM, "ddpm"), (ConvClassifier, "classifier"),
                      (AutoencoderKL, "autoencoder"), (DiTDiffusion, "dit"), (LatentDiffusion, "ldm"),
                      (NormalizingFlow, "flow")):
        if isinstance(model, cls):
            return name
    raise TypeError(f"{type(model).__name__} is not a Latent model twin")


def read_checkpoint(path):
    """(tensors, metadata) of a Latent checkpoint; raises ValueError when it is not one."""
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise ValueError(f'{path}: not a Latent checkpoint (metadata "format" is not "{FORMAT}")')
        version = int(metadata.get("format_version", "0"))
        if version > FORMAT_VERSION:
            raise ValueError(f"{path}: checkpoint format version {version} is newer than this reader ({FORMAT_VERSION})")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return tensors, metadata


def load_checkpoint(path, ema=True, strict=True):
    """(model, config) from a Latent checkpoint: the twin of its model_type built from its model_config,
    weights loaded with load_state_dict(strict=True), in eval mode. With `ema` (default, as Latent
    samples and evaluates) the weight EMA replaces the weights where the checkpoint has one."""
    tensors, metadata = read_checkpoint(path)
    config = json.loads(metadata["model_config"])
    model = build_model(metadata["model_type"], config)
    weights = {k: v.float() for k, v in tensors.items() if not k.startswith(OPTIMIZER_PREFIX)}
    if ema:
        weights.update({k[len(EMA_PREFIX):]: v.float() for k, v in tensors.items() if k.startswith(EMA_PREFIX)})
    model.load_state_dict(weights, strict=strict)
    model.eval()
    return model, config


def save_checkpoint(model, path, step=0, seed=0, config=None, extra_metadata=None):
    """Writes `model` (a latent_torch twin) as a Latent checkpoint with weights only, atomically (a
    temporary file renamed over `path`). `latent sample`, `eval`, `export` and `train --resume` read
    it (a resumed run starts with fresh optimizer state)."""
    config = config if config is not None else model.config()
    metadata = {k: str(v) for k, v in (extra_metadata or {}).items()}
    metadata.update({"format": FORMAT, "format_version": str(FORMAT_VERSION), "model_type": model_type_of(model),
                     "model_config": json.dumps(config, sort_keys=True, separators=(",", ":")), "step": str(step),
                     "rng_seed": str(seed), "rng_offset": "0"})
    tensors = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items()}
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".latent-", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
