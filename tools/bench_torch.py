"""PyTorch CPU performance anchors for Latent, on the PyTorch twins of its models (python/latent_torch:
`pip install ./python`).

Usage:  python tools/bench_torch.py [--threads 2] [--quick] [--data DIR] > result.json
Prints one JSON object on stdout (progress on stderr). Each timing KEY is reported as KEY_ms, the
median wall time of several runs after warm-up, and KEY_min_ms, the best run (the better estimate when
the machine is noisy). DDIM sampling is timed once, end to end. On the 2-vCPU machine with nothing else
running, a full run takes about 2 minutes with --threads 2 and 3 with --threads 1; --quick is under a minute.
Other CPU jobs running at the same time make the 2-thread figures several times slower: benchmark on a quiet machine.
"""
import argparse
import datetime
import json
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from latent_torch import ConvVAE, GaussianDiffusion, UNet, VQVAE, load_fmnist
from latent_torch.data import FMNIST


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def bench(fn, warmup, reps):
    """Median and min wall time of fn() in milliseconds."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(ts)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 10-step DDIM, no batch-128 U-Net step")
    ap.add_argument("--data", default=FMNIST,
                    help="Fashion-MNIST IDX folder (random data is used if missing)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    W, R = (1, 3) if args.quick else (2, 7)      # warm-up / timed reps for the cheap ops
    WB, RB = (1, 2) if args.quick else (1, 3)    # for the U-Net (seconds per call)
    res = {"peer": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
           "interop_threads": torch.get_num_interop_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
           "cpu": cpu_model(), "date": datetime.datetime.now().isoformat(timespec="seconds"), "quick": args.quick}
    log(f"torch {torch.__version__}, threads={torch.get_num_threads()}")

    def put(key, med_min):  # every timing is stored as KEY_ms (median) and KEY_min_ms (best)
        res[f"{key}_ms"], res[f"{key}_min_ms"] = med_min

    # Data: real Fashion-MNIST batches if available, else uniform noise of the same shape.
    try:
        images, labels = load_fmnist(args.data)
        x01 = images[:128].float().unsqueeze(1) / 255.0
        res["data"] = "fashion-mnist"
    except OSError:
        x01 = torch.rand(128, 1, 28, 28)
        res["data"] = "random"

    # --- sgemm 1024^3 ----------------------------------------------------------------------
    n = 1024
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    put("sgemm_1024", bench(lambda: torch.mm(a, b, out=c), W, max(R, 10)))
    res["sgemm_1024_gflops"] = 2 * n ** 3 / (res["sgemm_1024_ms"] * 1e-3) / 1e9
    res["sgemm_1024_best_gflops"] = 2 * n ** 3 / (res["sgemm_1024_min_ms"] * 1e-3) / 1e9
    log("sgemm", res["sgemm_1024_gflops"])

    # --- conv2d 3x3 64->64 on (64, 64, 28, 28) -------------------------------------------------
    conv = torch.nn.Conv2d(64, 64, 3, padding=1)
    xc = torch.randn(64, 64, 28, 28, requires_grad=True)
    with torch.no_grad():
        put("conv3x3_64_fwd", bench(lambda: conv(xc), W, R))

    def conv_fb():
        conv.zero_grad(set_to_none=True)
        xc.grad = None
        conv(xc).sum().backward()
    put("conv3x3_64_fwdbwd", bench(conv_fb, W, R))
    conv_flops = 2 * 64 * 64 * 64 * 9 * 28 * 28
    res["conv3x3_64_fwd_gflops"] = conv_flops / (res["conv3x3_64_fwd_ms"] * 1e-3) / 1e9
    log("conv", res["conv3x3_64_fwd_ms"], res["conv3x3_64_fwdbwd_ms"])

    # --- attention forward: explicit softmax(q k^T / sqrt(d)) v, and torch SDPA -----------------
    def explicit_attn(q, k, v):
        return torch.softmax(q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5, dim=-1) @ v

    with torch.no_grad():
        for tag, shape in {"b64_h1_s49_d128": (64, 1, 49, 128), "b16_h8_s256_d64": (16, 8, 256, 64)}.items():
            q, k, v = (torch.randn(shape) for _ in range(3))
            put(f"attn_{tag}", bench(lambda: explicit_attn(q, k, v), W, max(R, 10)))
            put(f"attn_sdpa_{tag}", bench(lambda: F.scaled_dot_product_attention(q, k, v), W, max(R, 10)))
    log("attention done")

    # --- nearest-codebook search: argmin_k ||z - e_k||^2 ---------------------------------------
    def nearest(z, e):
        return (z.pow(2).sum(1, keepdim=True) - 2 * z @ e.t() + e.pow(2).sum(1)[None]).argmin(1)

    with torch.no_grad():
        for N, K, D in ((3136, 256, 64), (65536, 1024, 256)):
            z, e = torch.randn(N, D), torch.randn(K, D)
            put(f"codebook_N{N}_K{K}_D{D}", bench(lambda: nearest(z, e), W, R))
    log("codebook done")

    # --- U-Net fmnist-small -------------------------------------------------------------------
    unet, diff = UNet(), GaussianDiffusion()
    res["unet_params"] = count_params(unet)
    x64 = x01[:64] * 2 - 1
    t64 = torch.randint(0, 1000, (64,))
    unet.eval()
    with torch.no_grad():
        from torch.utils.flop_counter import FlopCounterMode
        with FlopCounterMode(display=False) as fc:
            unet(x64, t64)
        res["unet_fwd_gflop_per_image"] = fc.get_total_flops() / 64 / 1e9
        put("unet_fwd_b64", bench(lambda: unet(x64, t64), WB, RB + 2))
    res["unet_fwd_b64_img_steps_per_s"] = 64 / (res["unet_fwd_b64_ms"] * 1e-3)
    res["unet_fwd_b64_gflops"] = res["unet_fwd_gflop_per_image"] * 64 / (res["unet_fwd_b64_ms"] * 1e-3)
    log("unet fwd", res["unet_fwd_b64_ms"])

    unet.train()
    opt = torch.optim.Adam(unet.parameters(), lr=2e-4)

    def unet_step(x):
        opt.zero_grad(set_to_none=True)
        diff.loss(unet, x).backward()
        opt.step()
    for bs in (64,) if args.quick else (64, 128):
        xb = x01[:bs] * 2 - 1
        put(f"unet_train_step_b{bs}", bench(lambda: unet_step(xb), WB, RB + (2 if bs == 64 else 0)))
        log("unet train", bs, res[f"unet_train_step_b{bs}_ms"])

    # --- VAE / VQ-VAE training steps at batch 128 ----------------------------------------------
    for key, model in (("vae", ConvVAE()), ("vqvae", VQVAE()), ("vqvae_ema", VQVAE(ema=True))):
        model.train()
        o = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)

        def step():
            o.zero_grad(set_to_none=True)
            model.loss(x01)[0].backward()
            o.step()
        put(f"{key}_train_step_b128", bench(step, W + 3, max(R, 10)))
        log(key, res[f"{key}_train_step_b128_ms"])

    # --- DDIM sampling, 64 images -------------------------------------------------------------
    steps = 10 if args.quick else 50
    unet.eval()
    t0 = time.perf_counter()
    diff.sample(unet, (64, 1, 28, 28), method="ddim", steps=steps, clip=False)  # the reference DDIM: no clipping
    res[f"ddim{steps}_b64_s"] = time.perf_counter() - t0
    log("ddim", res[f"ddim{steps}_b64_s"])

    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
