#!/usr/bin/env bash
# The mean field on Vulkan with windows overlapped (issue 23): window w + 1
# submitted to the device before window w is read back (`overlap = true`,
# the default) against one window at a time (`overlap = false`), 1 s
# simulated each, alternated REPS times; prints each run's wall time of
# the windows (the CLI's "simulated … in X s wall", start-up excluded),
# the median per window, and the load average around the row.
# Rows: the co-simulation (graphs/cosim_wc76_spiking.toml, its mean field on
# the device, 1000 windows of 1 ms: one window ahead), and RWW on tvb76
# with its recorders (graphs/tvb_rww76.toml, no cycle: up to 4 windows
# ahead) in windows of 1 ms (sync_ms = 1: 1000 windows) and of 10 ms
# (100 windows). Release build:
#   cargo build --release --bin brainstream && benches/overlap_vulkan.sh [BINARY] [REPS]
# BRAINSTREAM_VULKAN_DEVICE=<name part> picks the device (lavapipe: llvmpipe).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-target/release/brainstream}
REPS=${2:-5}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$B" run graphs/tvb_rww76.toml --backend vulkan --set simulation.duration_ms=1 --out "$OUT/probe" --force -v 2>&1 \
  | grep -o 'Vulkan device device=.*' | head -1 || true
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
row() { # name graph extra-set...
  local name=$1 graph=$2; shift 2
  local sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  for o in true false; do : > "$OUT/$name.$o"; done
  local load0 windows=0
  load0=$(cut -d' ' -f1 /proc/loadavg)
  for rep in $(seq "$REPS"); do
    for o in true false; do
      local line
      line=$("$B" run "$graph" --set actors.brain.backend='"vulkan"' --set actors.brain.overlap=$o \
        --set simulation.duration_ms=1000 "${sets[@]}" --out "$OUT/$name.run" --force 2>&1 \
        | grep -o 'in [0-9.]* s wall.*window' | head -1)
      windows=$(sed -E 's/.*, ([0-9]+) windows?.*/\1/' <<< "$line")
      sed -E 's/in ([0-9.]*) s wall.*/\1/' <<< "$line" >> "$OUT/$name.$o"
    done
  done
  for o in true false; do
    local m
    m=$(median < "$OUT/$name.$o")
    printf '%-16s overlap=%-5s runs %s s  median %.3f s = %.1f us per window (%s windows)\n' \
      "$name" "$o" "$(tr '\n' ' ' < "$OUT/$name.$o")" "$m" \
      "$(awk "BEGIN { print $m / $windows * 1e6 }")" "$windows"
  done
  echo "  load average $load0 -> $(cut -d' ' -f1 /proc/loadavg)"
}
row cosim_wc76 graphs/cosim_wc76_spiking.toml
row rww76_1ms graphs/tvb_rww76.toml simulation.sync_ms=1
row rww76_10ms graphs/tvb_rww76.toml simulation.sync_ms=10
