#!/usr/bin/env bash
# The mean field of a graph on the CPU engine and on Vulkan (issue 23):
# RWW on tvb76 (graphs/tvb_rww76.toml, deterministic Heun) and TVB-AdEx on
# 68 regions (graphs/adex68.toml with noise_stream = "philox", the stream
# both backends draw), 1 s simulated each, with the graphs' recorders; then
# RWW on a 998-region synthetic connectome (10 % dense,
# benches/synthetic_connectome.py). Each row is run REPS times alternating
# the backends; prints wall seconds per run and the medians. Release build:
#   cargo build --release --bin brainstream && benches/gpu_graph.sh [BINARY] [REPS]
# BRAINSTREAM_VULKAN_DEVICE=<name part> picks the device (lavapipe: llvmpipe).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-target/release/brainstream}
REPS=${2:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
CONN=${TMPDIR:-/tmp}/syn998.zip
[ -f "$CONN" ] || python3 benches/synthetic_connectome.py --n 998 --density 0.1 --out "$CONN" >&2
"$B" run graphs/tvb_rww76.toml --backend vulkan --set simulation.duration_ms=1 --out "$OUT/probe" --force -v 2>&1 \
  | grep -o 'Vulkan device device=.*' | head -1 || true
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
row() { # name graph extra-set...
  local name=$1 graph=$2; shift 2
  local sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  for backend in cpu vulkan; do : > "$OUT/$name.$backend"; done
  for rep in $(seq "$REPS"); do
    for backend in cpu vulkan; do
      local t0 t1
      t0=$(date +%s.%N)
      "$B" run "$graph" -q --backend $backend --set simulation.duration_ms=1000 "${sets[@]}" \
        --out "$OUT/$name.$backend.run" --force >/dev/null
      t1=$(date +%s.%N)
      awk "BEGIN { print $t1 - $t0 }" >> "$OUT/$name.$backend"
    done
  done
  for backend in cpu vulkan; do
    printf '%-10s %-7s runs %s  median %.2f s\n' "$name" "$backend" \
      "$(tr '\n' ' ' < "$OUT/$name.$backend")" "$(median < "$OUT/$name.$backend")"
  done
}
row rww76 graphs/tvb_rww76.toml
row adex68 graphs/adex68.toml 'actors.brain.noise_stream="philox"'
row rww998 graphs/tvb_rww76.toml "actors.brain.connectivity=\"$CONN\"" actors.tavg.offset_steps=0
