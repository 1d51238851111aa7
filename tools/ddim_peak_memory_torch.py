#!/usr/bin/env python3
"""Peak memory of DDIM sampling with the PyTorch twin of Latent's models (python/latent_torch), to set beside `latent bench sample`.

Builds latent_torch.UNet() (fmnist-small) and GaussianDiffusion, warms up with one
batch-1 forward (as Latent's benchmark does), then runs GaussianDiffusion.ddim_sample (the
reference's: no clipping) for a batch (default 64 images, 50 steps, eta 0) and prints one JSON object:

- rss_peak_increase_bytes: how far the process's resident high-water mark (VmHWM, reset through
  /proc/self/clear_refs just before sampling) rose above the RSS at the start of sampling. Compare
  with Latent's peak_rss_increase_bytes (same method; Linux only).
- tensor_peak_bytes (with --profile): the high-water mark of tensor memory allocated during sampling
  as torch.profiler(profile_memory=True) reports it (cumulative per-op allocations and frees in time
  order; allocations freed inside one op are not seen). The model's weights are not included:
  compare with Latent's peak_bytes - base_bytes. The profiled pass runs --profile-steps steps (every
  step allocates the same), as the profiler is slow.
- param_bytes: the weights, already resident before sampling.

Usage: python tools/ddim_peak_memory_torch.py [--batch 64] [--steps 50] [--threads 1] [--profile]
"""
import argparse
import json
import time

import torch


def status_bytes(key):
    """A /proc/self/status field (kB) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def tensor_peak(diffusion, unet, shape, steps):
    """Peak of tensor bytes allocated during a profiled ddim_sample, above the bytes live at its start."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        diffusion.ddim_sample(unet, shape, steps=steps)
    # Allocations are charged to the op that made them (self memory), frees outside ops are "[memory]" events.
    changes = [(e.time_range.start, e.cpu_memory_usage if e.name == "[memory]" else e.self_cpu_memory_usage)
               for e in prof.events()]
    live = peak = 0
    for _, change in sorted(changes, key=lambda c: c[0]):
        live += change
        peak = max(peak, live)
    return peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", action="store_true", help="also measure tensor_peak_bytes with torch.profiler")
    ap.add_argument("--profile-steps", type=int, default=2)
    args = ap.parse_args()

    import latent_torch as models

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    unet, diffusion = models.UNet(), models.GaussianDiffusion()
    unet.eval()
    shape = (args.batch, 1, 28, 28)
    with torch.no_grad():
        unet(torch.randn(1, 1, 28, 28), torch.zeros(1, dtype=torch.long))

    reset_peak_rss()
    rss_before = status_bytes("VmRSS")
    t0 = time.perf_counter()
    diffusion.ddim_sample(unet, shape, steps=args.steps)
    seconds = time.perf_counter() - t0
    result = {
        "peer": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), "op": "ddim_sample",
        "batch": args.batch, "steps": args.steps, "ms": seconds * 1e3, "images_per_s": args.batch / seconds,
        "rss_before_bytes": rss_before, "rss_peak_increase_bytes": status_bytes("VmHWM") - rss_before,
        "param_bytes": sum(p.numel() * p.element_size() for p in unet.parameters()),
    }
    if args.profile:
        result["tensor_peak_bytes"] = tensor_peak(diffusion, unet, shape, args.profile_steps)
        result["profile_steps"] = args.profile_steps
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
