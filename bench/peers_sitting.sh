#!/bin/bash
# One sitting against the peers: this engine's training step and TensorFlow.js's WASM backend,
# alternated ROUNDS times per size so that both see the same machine load, then PyTorch CPU once.
# Usage: bash bench/peers_sitting.sh            (after `npm run build`)
#   PEERS=dir   the peers' scripts with their node_modules (default ../shared/peers; `npm ci` there)
#   ROUNDS=n    alternations per size (default 3)   SIZES="64x8 32x2"   PYTHON=/usr/bin/python3
#   STEPS=n     timed steps per run, the same for every engine (default 5)
set -u
cd "$(dirname "$0")/.."
PEERS=${PEERS:-../shared/peers}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-5}
SIZES=${SIZES:-"64x8 32x2"}
PYTHON=${PYTHON:-/usr/bin/python3}
if [ ! -f dist/bench.js ]; then echo "dist/bench.js is missing: run npm run build first" >&2; exit 1; fi
if [ ! -d "$PEERS/node_modules" ]; then echo "$PEERS/node_modules is missing: run npm ci in $PEERS (or set PEERS)" >&2; exit 1; fi
for round in $(seq 1 "$ROUNDS"); do
  for size in $SIZES; do
    res=${size%x*}; batch=${size#*x}
    echo "round $round res $res batch $batch, load $(cut -d' ' -f1 /proc/loadavg)"
    node dist/bench.js --case train --res "$res" --batch "$batch" --steps "$STEPS" 2>&1 | grep "\.train:"
    (cd "$PEERS" && node tfjs_resnet18.mjs --backend wasm --res "$res" --batch "$batch" --steps "$STEPS" 2>&1 | grep RESULT)
  done
done
for size in $SIZES; do
  res=${size%x*}; batch=${size#*x}
  (cd "$PEERS" && "$PYTHON" torch_resnet18.py --res "$res" --batch "$batch" --threads 1 --steps "$STEPS" 2>&1 | grep RESULT) || echo "PyTorch peer did not run ($PYTHON with torch needed)"
done
