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


def test_autoencoder_dit_and_ldm_checkpoints_round_trip(tmp_path):
    """save_checkpoint then load_checkpoint gives the same weights for the three newer model types,
    with Latent's state_dict names (the LDM's autoencoder under first_stage_model.)."""
    import latent_torch as lt
    ae = {"ch": 8, "ch_mult": [1, 2], "num_res_blocks": 1, "z_channels": 2, "norm_groups": 4}
    dit = {"input_size": 14, "patch_size": 2, "in_channels": 2, "hidden_size": 32, "depth": 1, "num_heads": 2}
    for model_type, config in (("autoencoder", ae), ("dit", {"dit": dict(dit, input_size=28, in_channels=1)}),
                               ("ldm", {"autoencoder": ae, "denoiser": "dit", "dit": dit})):
        torch.manual_seed(0)
        model = lt.build_model(model_type, config)
        for p in model.state_dict().values():
            p.data.normal_()
        path = str(tmp_path / f"{model_type}.safetensors")
        lt.save_checkpoint(model, path, config=config)
        loaded, _ = lt.load_checkpoint(path)
        a, b = model.state_dict(), loaded.state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
        if model_type == "ldm":
            assert any(k.startswith("first_stage_model.") for k in a) and "blocks.0.attn.qkv.weight" in a
