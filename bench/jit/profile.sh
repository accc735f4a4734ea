#!/bin/bash
# Where SwiftShader spends a kernel's time, instruction by instruction: runs a command, samples it
# with perf while it is in its steady state, copies the JIT code SwiftShader generated (the
# executable `memfd:swiftshader_jit` mappings) out of the live process, disassembles it and
# prints the hottest basic blocks with their samples (see docs/swiftshader-speed.md, "Reading the
# generated code").
# Usage: bash bench/jit/profile.sh OUTDIR COMMAND...
#   e.g. REPS=1500 bash bench/jit/profile.sh /tmp/l1 node --import ./scripts/dev.mjs \
#          bench/conv2d-ab.ts f 8,64,16,64,3,1 '{}'
#   WAIT=s  seconds before sampling starts (compilation done; default 10)
#   PSEC=s  seconds sampled (default 5)       TOP=n  blocks printed (default 12)
# Needs perf, objdump and python3, and ptrace rights over the process (kernel.yama.ptrace_scope 0
# or root). The command must still be running after WAIT + PSEC seconds (give it enough REPS).
set -eu
if [ $# -lt 2 ]; then sed -n 2,14p "$0" >&2; exit 2; fi
for tool in perf objdump python3; do
  command -v "$tool" > /dev/null || { echo "$tool is missing (apt-get install -y linux-perf binutils python3)" >&2; exit 1; }
done
OUT=$1; shift
mkdir -p "$OUT"
"$@" > "$OUT/command.log" 2>&1 &
PID=$!
sleep "${WAIT:-10}"
if ! kill -0 "$PID" 2> /dev/null; then echo "the command ended before sampling began; see $OUT/command.log" >&2; exit 1; fi
# The JIT code lives in the process that runs the command (node's child when it was wrapped).
TARGET=$PID
for child in $(pgrep -P "$PID" || true); do grep -q swiftshader_jit "/proc/$child/maps" 2> /dev/null && TARGET=$child; done
grep swiftshader_jit "/proc/$TARGET/maps" > "$OUT/maps.txt" || { echo "no SwiftShader JIT code in process $TARGET" >&2; kill "$PID"; exit 1; }
perf record -F 4000 -p "$TARGET" -o "$OUT/perf.data" -- sleep "${PSEC:-5}" > /dev/null 2>&1
python3 "$(dirname "$0")/dump.py" "$TARGET" "$OUT"
kill "$PID" 2> /dev/null || true
wait "$PID" 2> /dev/null || true
python3 "$(dirname "$0")/blocks.py" "$OUT/annotated.txt" "${TOP:-12}"
