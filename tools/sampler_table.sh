#!/usr/bin/env bash
# FID-FMNIST against sampling wall time for each few-step sampler (issue #13): `latent fid` for every
# sampler in SAMPLERS at every step count in STEPS, one JSON line each in OUT/sampler_table.jsonl, then
# OUT/sampler_table.md (a Markdown table) and OUT/sampler_table.svg (FID against wall time, one line per
# sampler) from tools/sampler_plot.py. Wall time is the fid command's sampling_seconds (sampling and the
# classifier's features of the samples; not the reference statistics). Every run uses the same seed, so
# all samplers start from the same x_T.
# Usage: [SAMPLERS="ddim dpmpp-2m euler heun"] [STEPS="10 20 50"] [LATENT=.build/release/latent] \
#   [FID_ARGS="--guidance 1"] \
#   tools/sampler_table.sh [CHECKPOINT] [COUNT] [OUT]   (default: models/fmnist-ddpm, 1000 images, sampler-table)
set -euo pipefail
cd "$(dirname "$0")/.."
LATENT=${LATENT:-.build/release/latent}
CHECKPOINT=${1:-models/fmnist-ddpm/checkpoint.safetensors}
COUNT=${2:-1000}
OUT=${3:-sampler-table}
SAMPLERS=${SAMPLERS:-ddim dpmpp-2m euler heun}
read -r -a FID_EXTRA <<< "${FID_ARGS:-}"   # more `latent fid` options, e.g. a guidance scale
STEPS=${STEPS:-10 20 50}
mkdir -p "$OUT"
lines="$OUT/sampler_table.jsonl"
: > "$lines"
for sampler in $SAMPLERS; do
  for steps in $STEPS; do
    echo "$sampler, $steps steps, $COUNT images" >&2
    "$LATENT" fid "$CHECKPOINT" --sampler "$sampler" --steps "$steps" --count "$COUNT" --batch-size 125 "${FID_EXTRA[@]}" --json \
      2> >(grep -v '^sampled' >&2) >> "$lines"
  done
done
python3 tools/sampler_plot.py "$lines" "$OUT/sampler_table.md" "$OUT/sampler_table.svg" "$CHECKPOINT, $COUNT samples"
cat "$OUT/sampler_table.md"
