"""The twins themselves: names and sizes as Latent's, checkpoints in and out, Latent's noise."""
import json

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file

import latent_torch as lt
from latent_torch.philox import normal, philox_words, uniform
from conftest import FIXTURES, shipped


def test_fmnist_small_has_the_reference_size_and_names():
    assert lt.count_params(lt.UNet()) == 6_469_889
    keys = [line.split()[0] for line in (FIXTURES / "unet_fmnist_small_keys.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    assert list(lt.UNet(num_classes=10).state_dict().keys()) == keys


def test_every_shipped_checkpoint_loads_strictly():
    for folder, cls in (("fmnist-vae", lt.ConvVAE), ("fmnist-vq", lt.VQVAE), ("fmnist-ddpm", lt.DDPM),
                        ("fmnist-classifier", lt.ConvClassifier)):
        model, config = lt.load_checkpoint(shipped(folder))
        assert isinstance(model, cls) and not model.training
        assert json.loads(json.dumps(model.config())) == config


def test_save_then_load_gives_the_same_model(tmp_path):
    torch.manual_seed(0)
    vae = lt.ConvVAE(latent=4, decoder="gaussian-learned")
    path = tmp_path / "vae.safetensors"
    lt.save_checkpoint(vae, path, step=7)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    assert meta["format"] == "latent-checkpoint" and meta["model_type"] == "vae" and meta["step"] == "7"
    assert json.loads(meta["model_config"])["decoder"] == "gaussian-learned"
    back, config = lt.load_checkpoint(path)
    assert config["latent"] == 4
    for k, v in vae.state_dict().items():
        assert torch.equal(v, back.state_dict()[k]), k


def test_unet_twin_reproduces_the_committed_unet_fixture():
    f = load_file(str(FIXTURES / "unet_tiny.safetensors"))
    with safe_open(str(FIXTURES / "unet_tiny.safetensors"), framework="np") as h:
        config = json.loads(h.metadata()["config"])
    net = lt.UNet(**config)
    net.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in f.items() if not k.startswith("fixture.")})
    net.eval()
    x, t, y = (torch.from_numpy(f["fixture." + k]) for k in ("x", "t", "y"))
    with torch.no_grad():
        assert torch.allclose(net(x, t.long(), y.long()), torch.from_numpy(f["fixture.eps_cond"]), atol=1e-5)
        assert torch.allclose(net(x, t.long()), torch.from_numpy(f["fixture.eps_uncond"]), atol=1e-5)


def test_philox_matches_the_published_vectors_and_latent():
    assert list(philox_words(0, np.array([0], dtype=np.uint64))[:, 0]) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    assert np.all((uniform(3, 5, 1000) >= 0) & (uniform(3, 5, 1000) < 1))
    z = normal(1, 0, 200_000)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    # An offset shifts the stream: element i of offset o is element o + i.
    assert np.array_equal(normal(9, 6, 10), normal(9, 0, 16)[6:])


def test_uniform_timesteps_are_latents():
    assert lt.uniform_timesteps(7, 1000) == [0, 142, 285, 428, 571, 714, 857]
    assert lt.uniform_timesteps(50, 1000) == list(range(0, 1000, 20))
