#!/usr/bin/env python3
"""Trains the PyTorch twin of Latent's normalizing flow (python/latent_torch/flow.py) with the recipe of
`latent train flow` for a given wall time, then reports test bits/dim as `latent eval` does, so a
Latent run and a PyTorch run of the same model and the same training time can be put side by side.
Prints one JSON object. Needs torch, numpy, scipy (and Fashion-MNIST in --data).

Usage:
  python tools/train_flow_torch.py --config '{"stepsPerLevel": 8, "hidden": 96}' --minutes 150
         [--steps S] [--batch-size 64] [--lr 1e-3] [--warmup 200] [--cosine] [--clip 50]
         [--threads 2] [--seed 0] [--data DIR] [--eval-limit N] [--save PATH]
         [--checkpoint PATH [--checkpoint-every 1000] [--resume]]

Training, as `latent train flow` (TrainingConfiguration, NormalizingFlow.trainingLoss):
  * Fashion-MNIST train split, pixels k/255, reshuffled every epoch; uniform dequantisation
    v = (k + u)/256 with fresh u every step; loss = batch mean of bits/dim;
  * ActNorm's data-dependent initialisation on the first batch;
  * Adam (0.9/0.999, eps 1e-8), linear warm-up over --warmup steps, with --cosine a cosine decay to 0
    at --steps; --clip clips the global gradient norm;
  * stops at --steps or when --minutes of training wall time have passed, whichever comes first
    (--cosine needs --steps: the schedule is planned in steps, as Latent's).
Evaluation, as `latent eval` (FlowEvaluation.swift): eval mode, no gradients, 500 test images per
batch, one dequantisation sample per image; bits/dim = -(log p(v) - D log 256)/(D ln 2).
The weights are initialised by PyTorch's generator, not Latent's Philox streams: the two runs agree in
distribution, not bit for bit.
"""
import argparse
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import torch

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "python"))
from latent_torch.data import FMNIST, load_fmnist, to_unit  # noqa: E402
from latent_torch.flow import NormalizingFlow  # noqa: E402


def rate(step, base, warmup, total):
    """Latent's LearningRateSchedule for a 1-based step."""
    if warmup > 0 and step <= warmup:
        return base * step / warmup
    if total is None or total <= warmup:
        return base
    progress = (min(step, total) - warmup) / (total - warmup)
    return base * 0.5 * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def evaluate(flow, images, limit, seed):
    flow.eval()
    g = torch.Generator().manual_seed(seed)
    x = images[:limit] if limit else images
    bits = []
    for i in range(0, len(x), 500):
        batch = x[i:i + 500]
        log_p, _ = flow.log_likelihood(flow.dequantize(batch, torch.rand(batch.shape, generator=g)))
        bits.append(flow.bits_per_dim(log_p))
    return torch.cat(bits).mean().item(), len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", default="{}")
    p.add_argument("--minutes", type=float, default=150)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--cosine", action="store_true")
    p.add_argument("--clip", type=float, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=FMNIST)
    p.add_argument("--eval-limit", type=int, default=None)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--save", default=None, help="write the trained state_dict here (torch.save)")
    p.add_argument("--checkpoint", default=None, help="training state file (written atomically)")
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    a = p.parse_args()
    if a.cosine and a.steps is None:
        sys.exit("error: --cosine needs --steps (the schedule is planned in steps)")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    flow = NormalizingFlow.from_config(json.loads(a.config))
    train = to_unit(load_fmnist(a.data, "train")[0])
    test = to_unit(load_fmnist(a.data, "test")[0])
    opt = torch.optim.Adam(flow.parameters(), lr=a.lr)
    total = a.steps if a.cosine else None
    step, losses, done_seconds = 0, [], 0.0
    order = torch.randperm(len(train))
    position = 0
    if a.resume:
        if not a.checkpoint or not os.path.exists(a.checkpoint):
            sys.exit("error: --resume needs an existing --checkpoint file")
        state = torch.load(a.checkpoint, weights_only=False)
        flow.load_state_dict(state["flow"])
        opt.load_state_dict(state["optimizer"])
        step, order, position = state["step"], state["order"], state["position"]
        losses, done_seconds = state["losses"], state["train_seconds"]
        torch.set_rng_state(state["rng"])
        print(f"resumed at step {step} ({done_seconds:.0f} s trained)", file=sys.stderr, flush=True)
    start = time.time() - done_seconds

    def save_checkpoint():
        temporary = a.checkpoint + ".tmp"
        torch.save({"flow": flow.state_dict(), "optimizer": opt.state_dict(), "step": step, "order": order,
                    "position": position, "losses": losses[-a.log_every:], "train_seconds": time.time() - start,
                    "rng": torch.get_rng_state()}, temporary)
        os.replace(temporary, a.checkpoint)

    interrupted = []
    signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    while (a.steps is None or step < a.steps) and time.time() - start < a.minutes * 60:
        if interrupted:
            if a.checkpoint:
                save_checkpoint()
                print(f"interrupted: checkpoint at step {step} in {a.checkpoint}", file=sys.stderr, flush=True)
            sys.exit(130)
        if position + a.batch_size > len(train):
            order, position = torch.randperm(len(train)), 0
        batch = train[order[position:position + a.batch_size]]
        position += a.batch_size
        step += 1
        flow.train()
        for group in opt.param_groups:
            group["lr"] = rate(step, a.lr, a.warmup, total)
        loss = flow.loss(batch, torch.rand_like(batch))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(flow.parameters(), a.clip)
        if torch.isfinite(loss):
            opt.step()
        losses.append(loss.item())
        if a.checkpoint and step % a.checkpoint_every == 0:
            save_checkpoint()
        if step % a.log_every == 0:
            print(f"step {step} loss {sum(losses[-a.log_every:]) / len(losses[-a.log_every:]):.4f} "
                  f"{time.time() - start:.0f} s", file=sys.stderr, flush=True)
    train_seconds = time.time() - start
    if a.save:
        torch.save(flow.state_dict(), a.save)
    bits, n = evaluate(flow, test, a.eval_limit, a.seed)
    print(json.dumps({"config": flow.config(), "steps": step, "batch_size": a.batch_size,
                      "train_seconds": round(train_seconds, 1), "steps_per_second": round(step / train_seconds, 3),
                      "final_train_bits_per_dim": sum(losses[-50:]) / max(len(losses[-50:]), 1),
                      "test_images": n, "test_bits_per_dim": bits, "threads": a.threads}, sort_keys=True))


if __name__ == "__main__":
    main()
