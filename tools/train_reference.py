#!/usr/bin/env python3
"""Trains the PyTorch reference ConvVAE ("fmnist-conv") or VQVAE ("fmnist-vq") with the settings
`latent train vae|vqvae` uses by default, then evaluates it on the whole test split with the
definitions of `latent eval`, so the two can be run side by side (issue #5). Prints one JSON object.

Usage:
  python tools/train_reference.py --model vae|vqvae [--ema] [--epochs E | --steps S] [--batch-size 128]
         [--lr 1e-3] [--threads 1] [--seed 0] [--data DIR] [--iwae K] [--kl-warmup N] [--beta B]
         [--eval-limit N]

The models are the PyTorch twins of Latent's in python/latent_torch (`pip install ./python`).

Training, as `latent train` with its defaults (TrainCommand, TrainingConfiguration, VAEConfig, VQVAEConfig):
  * Fashion-MNIST train split, pixels / 255 (x in [0, 1]), reshuffled every epoch, the last partial
    batch kept (60000 / 128 -> 469 batches per epoch); --epochs E means E * 469 steps at batch 128;
  * plain Adam (betas 0.9/0.999, eps 1e-8), constant learning rate 1e-3, no weight decay, no LR warm-up,
    no cosine decay, no gradient clipping, no weight EMA; 2000 steps unless --steps/--epochs;
  * VAE: the reference loss (summed BCE-with-logits + analytic KL, nats per image); with --kl-warmup N
    or --beta B the KL term is weighted B * min(1, step / N) (step 1-based), as VAEConfig "warmup"/"beta";
  * VQ-VAE: K=256, D=64, commitment 0.25; --ema = EMA codebook (decay 0.99, Laplace eps 1e-5), which in
    Latent is `--config '{"ema": true}'` (Latent's own --ema flag is a weight EMA, not this).

Evaluation, as `latent eval` (VAEEvaluation.swift, VQVAEEvaluation.swift), eval mode, no gradients,
500 test images per batch:
  * VAE: -ELBO with one z sample per image = reconstruction (summed BCE) + KL, nats per image, and
    (with --iwae K > 0) -IWAE_K = -log (1/K) sum_s p(x|z_s) p(z_s) / q(z_s|x), at most 1000 decoder
    evaluations at a time (k = 1000 over the whole split takes long on a CPU: use --eval-limit);
  * VQ-VAE: reconstruction MSE per pixel of the unclamped decoder output; perplexity exp(-sum p log(p + 1e-10))
    and the fraction of codes used, both from the code histogram of the whole split; and the mean of
    the per-batch perplexities.

What the reference lacks, so a Latent run with these features has no reference counterpart:
dead-code restart ("restart_after"), k-means codebook initialisation ("kmeans_init") and the Gaussian
VAE decoders. The weights are initialised by PyTorch's defaults and the data order and noise come
from torch's generator, not Latent's Philox streams: the two runs agree in distribution, not bit for bit.

Throughput: train_images_per_s counts the images of every step (forward, backward, Adam) over the
wall time of the training loop; batches are slices of a tensor already in memory.
"""
import argparse
import json
import math
import os
import sys
import time

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
EVAL_BATCH = 500        # images per evaluation batch, as `latent eval`
MAX_DECODES = 1000      # decoder evaluations at once in the IWAE bound, as `latent eval`
TRAIN_LOSS_WINDOW = 50  # final_train_loss averages the last steps' losses


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["vae", "vqvae"], required=True)
    ap.add_argument("--ema", action="store_true", help="VQ-VAE: EMA codebook (Latent: --config '{\"ema\": true}')")
    length = ap.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=float, help="training length in epochs (rounded up to whole steps)")
    length.add_argument("--steps", type=int, help="training length in optimizer steps (default 2000, as latent)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (interop: 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=DEFAULT_DATA, help="folder with the four Fashion-MNIST IDX .gz files")
    ap.add_argument("--iwae", type=int, default=0, help="VAE: importance samples K of the IWAE bound (0: skip)")
    ap.add_argument("--kl-warmup", type=int, default=0, help="VAE: linear KL warm-up steps (VAEConfig warmup)")
    ap.add_argument("--beta", type=float, default=1.0, help="VAE: KL weight after warm-up (VAEConfig beta)")
    ap.add_argument("--eval-limit", type=int, help="evaluate only the first N test images (default: all)")
    args = ap.parse_args(argv)
    problems = []
    if args.batch_size < 1: problems.append("--batch-size must be at least 1")
    if args.lr <= 0 or not math.isfinite(args.lr): problems.append("--lr must be positive")
    if args.threads < 1: problems.append("--threads must be at least 1")
    if args.steps is not None and args.steps < 1: problems.append("--steps must be at least 1")
    if args.epochs is not None and not args.epochs > 0: problems.append("--epochs must be positive")
    if args.iwae < 0: problems.append("--iwae must be >= 0")
    if args.kl_warmup < 0: problems.append("--kl-warmup must be >= 0")
    if args.beta < 0: problems.append("--beta must be >= 0")
    if args.eval_limit is not None and args.eval_limit < 1: problems.append("--eval-limit must be at least 1")
    if args.model == "vae" and args.ema: problems.append("--ema is a VQ-VAE option")
    if args.model == "vqvae" and (args.iwae or args.kl_warmup or args.beta != 1.0):
        problems.append("--iwae, --kl-warmup and --beta are VAE options")
    for p in problems:
        ap.error(p)
    return args


def load_split(models, folder, split):
    """Images of a split as float32 [N, 1, 28, 28] in [0, 1] (pixel / 255, as Latent's zeroToOne)."""
    try:
        images, _ = models.load_fmnist(folder, split)
    except OSError as e:
        sys.exit(f"error: cannot read Fashion-MNIST {split} split from {folder}: {e}")
    return images.float().div_(255.0).unsqueeze(1)


# ---------------------------------------------------------------------------------------------- training

def vae_step_loss(torch, F, model, x, kl_weight):
    """ConvVAE.loss with the KL term weighted (weight 1: the reference loss itself)."""
    if kl_weight == 1.0:
        return model.loss(x)[0]
    logits, mu, logvar = model(x)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
    return rec + kl_weight * kl


def kl_weight_at(step, beta, warmup):
    """VAEConfig.klWeight(atStep:) for 1-based `step`."""
    return beta if warmup == 0 else beta * min(1.0, step / warmup)


def train(torch, F, model, args, images, steps):
    """Adam steps over reshuffled epochs; returns (images seen, loop seconds, last losses)."""
    generator = torch.Generator().manual_seed(args.seed)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    model.train()
    n, seen, losses, step = images.shape[0], 0, [], 0
    start = time.perf_counter()
    while step < steps:
        order = torch.randperm(n, generator=generator)
        for first in range(0, n, args.batch_size):
            if step == steps:
                break
            step += 1
            x = images[order[first:first + args.batch_size]]
            if args.model == "vae":
                loss = vae_step_loss(torch, F, model, x, kl_weight_at(step, args.beta, args.kl_warmup))
            else:
                loss = model.loss(x)[0]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = loss.item()
            if not math.isfinite(value):
                sys.exit(f"error: the loss became {value} at step {step}; lower --lr")
            losses.append(value)
            losses = losses[-TRAIN_LOSS_WINDOW:]
            seen += x.shape[0]
    return seen, time.perf_counter() - start, losses


# ---------------------------------------------------------------------------------------------- evaluation

def batches(images, limit):
    count = images.shape[0] if limit is None else min(limit, images.shape[0])
    for first in range(0, count, EVAL_BATCH):
        yield images[first:min(first + EVAL_BATCH, count)]


def iwae_bounds(torch, F, model, x, k):
    """IWAE_k per image of x (float64), with at most MAX_DECODES decoder evaluations at once."""
    mu, logvar = model.enc(x).chunk(2, dim=1)
    sigma = torch.exp(0.5 * logvar)
    half_log_det = 0.5 * logvar.sum(1)
    sample_chunk = min(k, MAX_DECODES)
    image_chunk = max(1, MAX_DECODES // sample_chunk)
    bounds = []
    for i0 in range(0, x.shape[0], image_chunk):
        i1 = min(i0 + image_chunk, x.shape[0])
        b = i1 - i0
        chunk_lse = []
        for s0 in range(0, k, sample_chunk):
            s = min(sample_chunk, k - s0)
            eps = torch.randn(b, s, model.latent)
            z = mu[i0:i1, None] + sigma[i0:i1, None] * eps
            logits = model.dec(z.reshape(b * s, -1)).reshape(b, s, -1)
            target = x[i0:i1].reshape(b, 1, -1).expand(b, s, -1)
            log_likelihood = -F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1)
            # log p(z) - log q(z|x) = -1/2 sum z^2 + 1/2 sum eps^2 + 1/2 sum logvar (the 2 pi terms cancel)
            log_weight = log_likelihood - 0.5 * z.pow(2).sum(-1) + 0.5 * eps.pow(2).sum(-1) + half_log_det[i0:i1, None]
            chunk_lse.append(torch.logsumexp(log_weight.double(), dim=1))
        bounds.append(torch.logsumexp(torch.stack(chunk_lse, dim=1), dim=1) - math.log(k))
    return torch.cat(bounds)


def evaluate_vae(torch, F, model, images, args):
    model.eval()
    count, rec, kl, iwae = 0, 0.0, 0.0, 0.0
    with torch.no_grad():
        for x in batches(images, args.eval_limit):
            _, parts = model.loss(x)  # one z sample per image; batch means
            rec += parts["rec"] * x.shape[0]
            kl += parts["kl"] * x.shape[0]
            if args.iwae:
                iwae += iwae_bounds(torch, F, model, x, args.iwae).sum().item()
            count += x.shape[0]
    result = {"images": count, "neg_elbo_nats": (rec + kl) / count, "reconstruction_nats": rec / count,
              "kl_nats": kl / count}
    if args.iwae:
        result[f"neg_iwae_nats_k{args.iwae}"] = -iwae / count
        result["iwae_samples"] = args.iwae
    return result


def evaluate_vqvae(torch, model, images, args):
    model.eval()  # no EMA update
    codes = model.vq.K
    histogram = torch.zeros(codes, dtype=torch.float64)
    count, squared_error, batch_perplexity, n_batches = 0, 0.0, 0.0, 0
    with torch.no_grad():
        for x in batches(images, args.eval_limit):
            z_q, _, perplexity, idx = model.vq(model.enc(x))
            squared_error += (model.dec(z_q) - x).pow(2).sum().item()
            histogram += torch.bincount(idx.flatten(), minlength=codes).double()
            batch_perplexity += perplexity.item()
            count += x.shape[0]
            n_batches += 1
    p = histogram / histogram.sum()
    return {"images": count, "reconstruction_mse": squared_error / (count * 28 * 28),
            "perplexity": math.exp(-(p * torch.log(p + 1e-10)).sum().item()),
            "codes_in_use": (histogram > 0).double().mean().item(),
            "mean_batch_perplexity": batch_perplexity / n_batches}


# ---------------------------------------------------------------------------------------------- report

def latent_commands(args, steps):
    """The `latent` commands that train and evaluate the Latent counterpart of this run."""
    config = {}
    if args.model == "vqvae" and args.ema:
        config["ema"] = True
    if args.kl_warmup:
        config["warmup"] = args.kl_warmup
    if args.beta != 1.0:
        config["beta"] = args.beta
    train_cmd = (f"LATENT_THREADS={args.threads} latent train {args.model} --device cpu --steps {steps} "
                 f"--batch-size {args.batch_size} --lr {args.lr:g} --seed {args.seed} --out runs/{args.model}")
    if config:
        train_cmd += " --config '" + json.dumps(config, sort_keys=True, separators=(",", ":")) + "'"
    if args.data != DEFAULT_DATA:
        train_cmd += f" --data {args.data}"
    eval_cmd = f"latent eval runs/{args.model}/checkpoint.safetensors --device cpu --json"
    if args.model == "vae":
        eval_cmd += f" --iwae {args.iwae}"
    if args.eval_limit:
        eval_cmd += f" --limit {args.eval_limit}"
    return {"train": train_cmd, "eval": eval_cmd}


def main(argv=None):
    args = parse_args(argv)
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    import latent_torch as models
    train_images = load_split(models, args.data, "train")
    test_images = load_split(models, args.data, "test")
    per_epoch = math.ceil(train_images.shape[0] / args.batch_size)  # the last partial batch is kept
    steps = args.steps if args.steps is not None else (math.ceil(args.epochs * per_epoch) if args.epochs else 2000)

    if args.model == "vae":
        model, name = models.ConvVAE(), "ConvVAE fmnist-conv"
    else:
        model, name = models.VQVAE(ema=args.ema), "VQVAE fmnist-vq" + (" (EMA codebook)" if args.ema else "")
    start = time.perf_counter()
    seen, train_s, last_losses = train(torch, F, model, args, train_images, steps)
    eval_start = time.perf_counter()
    if args.model == "vae":
        test = evaluate_vae(torch, F, model, test_images, args)
    else:
        test = evaluate_vqvae(torch, model, test_images, args)
    end = time.perf_counter()

    lacks = ["Gaussian decoders (VAEConfig decoder gaussian, gaussian-learned)"] if args.model == "vae" else [
        "dead-code restart (VQVAEConfig restart_after)", "k-means codebook initialisation (VQVAEConfig kmeans_init)"]
    report = {
        "peer": "pytorch-reference", "model": args.model, "reference_model": name, "reference_dir": "python/latent_torch",
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "settings": {"steps": steps, "epochs": steps / per_epoch, "batch_size": args.batch_size, "lr": args.lr,
                     "optimizer": "Adam(0.9, 0.999, eps 1e-8)", "seed": args.seed, "data": args.data,
                     "ema_codebook": args.ema if args.model == "vqvae" else None,
                     "kl_warmup": args.kl_warmup if args.model == "vae" else None,
                     "beta": args.beta if args.model == "vae" else None},
        "test": test,
        "train": {"images": seen, "wall_s": train_s, "images_per_s": seen / train_s,
                  "final_loss_mean": sum(last_losses) / len(last_losses), "final_loss_steps": len(last_losses)},
        "eval_wall_s": end - eval_start, "wall_s": end - start,
        "reference_lacks": lacks,
        "not_bit_exact": "initialisation, data order and noise come from torch, not Latent's Philox streams",
        "latent": latent_commands(args, steps),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
