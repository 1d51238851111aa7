#!/usr/bin/env bash
# Data-parallel overhead on this machine (issue #16), in one run: the gradient all-reduce of the VAE,
# VQ-VAE and U-Net (fmnist-small) alone, then `latent train` at global batch 128 as 1 rank x 2 threads
# and as 2 ranks x 1 thread (mpirun), with the ms per step (first step excluded) and the time the
# 2-rank run spent in the all-reduce (which includes waiting for the slower rank).
# Usage: [MODELS="vae vqvae ddpm"] tools/bench_data_parallel.sh [STEPS] on an idle machine with
# Fashion-MNIST and Open MPI (LATENT=path/to/latent, default .build/release/latent).
set -euo pipefail
cd "$(dirname "$0")/.."
LATENT=${LATENT:-.build/release/latent}
STEPS=${1:-5}
MODELS=${MODELS:-vae vqvae ddpm}
MPIRUN=(mpirun --oversubscribe --allow-run-as-root -np 2 -x LATENT_DEVICE=cpu -x LATENT_THREADS=1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"${MPIRUN[@]}" "$LATENT" bench allreduce --models "$(echo $MODELS | tr ' ' ,)"
ms_per_step() {  # mean ms per step after the first, from elapsed_s in metrics.jsonl
  python3 -c 'import json,sys; e=[json.loads(l)["elapsed_s"] for l in open(sys.argv[1])]; print("%.0f" % ((e[-1]-e[0])/(len(e)-1)*1e3))' "$1"
}
printf '\n%-6s %18s %18s  %s\n' model "1 rank x 2 thr ms" "2 ranks x 1 thr ms" "2-rank all-reduce (MPI time incl. waiting for the other rank)"
for model in $MODELS; do
  common=(train "$model" --steps "$STEPS" --log-every 1 --checkpoint-every 1000000 --seed 0)
  LATENT_DEVICE=cpu LATENT_THREADS=2 "$LATENT" "${common[@]}" --batch-size 128 --out "$out/$model-1" > "$out/log-1"
  "${MPIRUN[@]}" "$LATENT" "${common[@]}" --global-batch-size 128 --out "$out/$model-2" > "$out/log-2"
  printf '%-6s %18s %18s  %s\n' "$model" "$(ms_per_step "$out/$model-1/metrics.jsonl")" \
    "$(ms_per_step "$out/$model-2/metrics.jsonl")" "$(grep -a 'gradient all-reduce' "$out/log-2" | sed 's/.*all-reduce: //')"
done
