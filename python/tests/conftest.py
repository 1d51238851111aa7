"""Shared helpers of the latent_torch tests: where the repository, its fixtures and the `latent`
binary are. Tests that need the binary, the shipped models or Fashion-MNIST skip without them."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The package of this source tree, installed or not (pip install ./python installs the same files).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from latent_torch.data import FMNIST  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "LatentTests" / "Fixtures"
MODELS = REPO / "models"


def latent_binary():
    """$LATENT, else the repository's release build, else `latent` on PATH (None: not built)."""
    for candidate in (os.environ.get("LATENT"), REPO / ".build" / "release" / "latent", shutil.which("latent")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


@pytest.fixture
def latent():
    """Runs the `latent` binary on the CPU backend and returns its stdout; fails on a non-zero exit."""
    binary = latent_binary()
    if binary is None:
        pytest.skip("no latent binary (swift build -c release, or set LATENT)")

    def run(*args):
        env = dict(os.environ, LATENT_DEVICE="cpu")
        r = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, env=env, cwd=REPO)
        assert r.returncode == 0, f"latent {' '.join(map(str, args))} failed: {r.stderr}"
        return r.stdout
    return run


@pytest.fixture
def fmnist():
    if not Path(FMNIST, "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"no Fashion-MNIST in {FMNIST} (Debian package dataset-fashion-mnist)")
    return FMNIST


def shipped(folder):
    path = MODELS / folder / "checkpoint.safetensors"
    if not path.is_file():
        pytest.skip(f"no shipped model {path}")
    return path
