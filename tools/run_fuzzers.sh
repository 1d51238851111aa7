#!/usr/bin/env bash
# Runs fuzz targets built by `make fuzz-build`, each for SECONDS on a working copy of its seed corpus
# (Fuzz/Corpus/<Target>, never modified), and prints one summary line per target.
# Usage: tools/run_fuzzers.sh SECONDS OUT_FOLDER [libFuzzer flags...] -- TARGET...
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=$1 out=$2
shift 2
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
shift
# Let libFuzzer report a Swift trap itself (Swift's backtracer would trip over ASan first).
export SWIFT_BACKTRACE=enable=no
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)
status=0
for target in "$@"; do
  work="$out/$target"
  rm -rf "$work" && mkdir -p "$work/corpus"
  cp Fuzz/Corpus/"$target"/* "$work/corpus/"
  log="$work/fuzz.log"
  "$bin/Fuzz$target" "${flags[@]}" -max_total_time="$seconds" -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  secs=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  found=$(ls "$work" | grep -cE '^(crash|timeout|oom|leak|slow-unit)-' || true)
  printf '%-12s %10s runs %8s exec/s  corpus %5s  findings %s  exit %s\n' \
    "$target" "${runs:-0}" "${secs:-0}" "$(ls "$work/corpus" | wc -l)" "$found" "$rc"
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    status=1
    tail -n 40 "$log" | grep -E 'ERROR|SUMMARY|Fatal|panic|Test unit written' >&2 || true
  fi
done
exit $status
