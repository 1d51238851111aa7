#!/usr/bin/env bash
# The full kill-anywhere run: `latent train vae` killed KILLS times (default 25) at random moments,
# resumed each time, final weights compared bit for bit with an uninterrupted run (CPU backend).
# CI runs the same test with 4 kills. Needs a test build (`make test` or `make build-tests`).
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-25}
LATENT_KILLS=$kills LATENT_KILL_STEPS=${2:-$((40 + 40 * kills))} \
  swift test -c release -Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -enable-testing --skip-build \
  --filter 'KillAnywhereTests/killedTrainingResumesBitExact' 2>&1 | grep -E 'kill-anywhere|✘|error|passed|failed'
