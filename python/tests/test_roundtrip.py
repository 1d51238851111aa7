"""Round trips with the `latent` binary (skipped where it is not built): Latent's shipped checkpoints ->
`latent export` -> PyTorch reproduces Latent's figures and samples; PyTorch-trained weights ->
`latent import` -> `latent eval` gives PyTorch's figures."""
import json
import math

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

import latent_torch as lt
from latent_torch.data import load_fmnist, to_signed, to_unit
from conftest import shipped

N = 200  # test images compared


def exported(latent, tmp_path, folder, model_type, config, ema=False):
    """The twin with the weights of `latent export` of a shipped checkpoint (strict load)."""
    out = tmp_path / f"{folder}.safetensors"
    latent("export", shipped(folder), out, *(["--ema"] if ema else []))
    model = lt.build_model(model_type, config)
    model.load_state_dict(load_file(str(out)), strict=True)
    return model.eval()


def config_of(folder):
    return lt.load_checkpoint(shipped(folder))[1]


def latent_eval(latent, checkpoint, data, tmp_path, limit=N):
    return json.loads(latent("eval", checkpoint, "--data", data, "--limit", limit, "--iwae", 0, "--json",
                             "--out", tmp_path / "eval"))


def test_exported_vqvae_reconstructs_as_latent(latent, fmnist, tmp_path):
    vq = exported(latent, tmp_path, "fmnist-vq", "vqvae", config_of("fmnist-vq"))
    x = to_unit(load_fmnist(fmnist, "test")[0][:N])
    with torch.no_grad():
        mse = ((vq(x)[0].double() - x.double()) ** 2).mean().item()
    figures = latent_eval(latent, shipped("fmnist-vq"), fmnist, tmp_path)
    assert abs(figures["reconstruction_mse"] - mse) < 1e-5


def test_exported_classifier_classifies_as_latent(latent, fmnist, tmp_path):
    net = exported(latent, tmp_path, "fmnist-classifier", "classifier", config_of("fmnist-classifier"))
    images, labels = load_fmnist(fmnist, "test")
    with torch.no_grad():
        logits = net(to_signed(images[:N]))
    figures = latent_eval(latent, shipped("fmnist-classifier"), fmnist, tmp_path)
    assert abs(figures["accuracy"] - (logits.argmax(1) == labels[:N]).double().mean().item()) < 1e-9
    assert abs(figures["loss_nats"] - F.cross_entropy(logits, labels[:N]).item()) < 1e-4


def test_exported_vae_has_latents_kl_and_elbo(latent, fmnist, tmp_path):
    vae = exported(latent, tmp_path, "fmnist-vae", "vae", config_of("fmnist-vae"))
    x = to_unit(load_fmnist(fmnist, "test")[0][:N])
    torch.manual_seed(0)
    with torch.no_grad():
        draws = torch.stack([torch.tensor([vae.loss(x[i:i + 1])[0].item() for i in range(N)]) for _ in range(8)])
        _, stats = vae.loss(x)
    figures = latent_eval(latent, shipped("fmnist-vae"), fmnist, tmp_path)
    assert abs(figures["kl_nats"] - stats["kl"]) < 1e-4 * stats["kl"]  # analytic: no noise
    # One sample per image on both sides: equal within 4 standard errors of the difference.
    tolerance = 4 * math.sqrt(2 * draws.var(0).mean().item() / N)
    assert abs(figures["neg_elbo_nats"] - draws[0].mean().item()) < tolerance


def test_exported_ddpm_samples_as_latent_from_the_same_seed(latent, tmp_path):
    out = tmp_path / "samples"
    latent("sample", shipped("fmnist-ddpm"), "--count", 4, "--steps", 10, "--seed", 5, "--out", out)
    theirs = load_file(str(out / "samples.safetensors"))
    # `latent sample` draws from the weight EMA when the checkpoint has one: export --ema gives it.
    ddpm = exported(latent, tmp_path, "fmnist-ddpm", "ddpm", config_of("fmnist-ddpm"), ema=True)
    labels = theirs["labels"].long()
    mine = ddpm.sample(4, method="ddim", steps=10, y=labels, noise=lt.LatentNoise(5))
    assert (mine - theirs["samples"]).abs().max().item() < 1e-4  # measured: 5e-6


def test_pytorch_trained_vqvae_imports_with_its_figures(latent, fmnist, tmp_path):
    torch.manual_seed(1)
    images = load_fmnist(fmnist, "train")[0]
    vq = lt.VQVAE(K=32, D=16, ema=True)
    opt = torch.optim.Adam(vq.parameters(), lr=1e-3)
    for s in range(10):
        opt.zero_grad()
        vq.loss(to_unit(images[s * 32:(s + 1) * 32]))[0].backward()
        opt.step()
    vq.eval()
    state = tmp_path / "vq_state.safetensors"
    save_file({k: v.contiguous() for k, v in vq.state_dict().items()}, str(state))
    checkpoint = tmp_path / "vq.safetensors"
    latent("import", state, checkpoint, "--model", "vqvae", "--config", json.dumps({"K": 32, "D": 16, "ema": True}))
    x = to_unit(load_fmnist(fmnist, "test")[0][:N])
    with torch.no_grad():
        mse = ((vq(x)[0].double() - x.double()) ** 2).mean().item()
    assert abs(latent_eval(latent, checkpoint, fmnist, tmp_path)["reconstruction_mse"] - mse) < 1e-5


def test_exported_autoencoder_reconstructs_as_latent(latent, fmnist, tmp_path):
    ae = exported(latent, tmp_path, "fmnist-autoencoder", "autoencoder", config_of("fmnist-autoencoder"))
    x = to_signed(load_fmnist(fmnist, "test")[0][:N])
    with torch.no_grad():
        mean, _ = ae.encode(x)
        mse = ((ae.decode(mean).clamp(-1, 1).double() - x.double()) ** 2).mean().item() / 4
    figures = json.loads(latent("eval", shipped("fmnist-autoencoder"), "--data", fmnist, "--limit", N, "--no-fid",
                                "--json", "--out", tmp_path / "eval"))
    assert abs(figures["reconstruction_mse"] - mse) < 1e-6 * max(1.0, mse / 1e-3)
