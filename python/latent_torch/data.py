"""Fashion-MNIST from the four IDX .gz files (Debian's dataset-fashion-mnist installs them in FMNIST)."""
import gzip
import os

import numpy as np
import torch

FMNIST = "/usr/share/datasets/fashion-mnist"


def load_fmnist(root=FMNIST, split="train"):
    """uint8 images [N, 28, 28] and int64 labels [N] of split "train" or "test"."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)  # 16-byte IDX header
    with gzip.open(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)      # 8-byte IDX header
    return torch.from_numpy(images.copy()), torch.from_numpy(labels)


def to_unit(images):
    """uint8 [N, 28, 28] -> float32 [N, 1, 28, 28] in [0, 1] (VAE, VQ-VAE), as Latent's pixel / 255."""
    return images.float().div(255.0).unsqueeze(1)


def to_signed(images):
    """uint8 [N, 28, 28] -> float32 [N, 1, 28, 28] in [-1, 1] (diffusion, classifier)."""
    return to_unit(images) * 2 - 1
