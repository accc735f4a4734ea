#!/usr/bin/env bash
# Every benchmark measurement for a GPU machine, in one go (its time is short): run from the
# project root after shipping dist/, .gpu/ and the tracked files (see docs/gpu-machine.md):
#   bash bench/gpu_all.sh "$OUT"
# Each run writes its report (JSON on stdout, table and progress in a .log) into the folder given.
# Each run is also cut off after RUN_LIMIT seconds (default 150), so that one that hangs leaves
# time for the rest within a 10-minute command; the most important runs come first.
set -uo pipefail
out=${1:?usage: bash bench/gpu_all.sh OUTPUT_DIR}
limit=${RUN_LIMIT:-150}
mkdir -p "$out"
cap() { if command -v timeout >/dev/null; then timeout "$limit" "$@"; else "$@"; fi; }
run() {
  local name=$1; shift
  echo "== $name: node dist/bench.js $* ($(date +%T))"
  cap bash .gpu/run.sh node dist/bench.js --results-dir "$out" --json "$@" > "$out/$name.json" 2> "$out/$name.log"
  local rc=$?
  [ "$rc" = 124 ] && echo "   cut off after ${limit}s"
  echo "   exit $rc ($(tail -1 "$out/$name.log"))"
}
run quick --quick                                     # smoke: every path once, small
run default --vs-torch                                # 224x224, batch 32: kernel lab, train, infer, PyTorch
run variants --case kernels --all-variants --filter conv2d  # every conv engine on this adapter
run train128 --case train --conv-variant tiled128        # the step with the 128 x 128 GEMM engine
run batch64 --case train,infer --batch 64 --vs-torch  # throughput at a larger batch
