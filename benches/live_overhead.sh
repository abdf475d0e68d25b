#!/usr/bin/env bash
# The live view's overhead (docs/benchmarks.md, "Live view overhead"): the
# same run without --serve and with --serve and the page open in headless
# Chromium, alternated, REPS times each; prints every wall time (the run's
# own "simulated … in X s wall") and CPU time of the brainstream process
# (user + system, /usr/bin/time), and their medians.
#   cargo build --release --bin brainstream
#   benches/live_overhead.sh GRAPH REPS [--set KEY=VALUE …]
set -euo pipefail
cd "$(dirname "$0")/.."
graph=$1; reps=$2; shift 2
bin=target/release/brainstream
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
wall() { sed -n 's/^simulated .* in \([0-9.]*\) s wall.*/\1/p' "$1"; }
plain=(); served=(); cpu_plain=(); cpu_served=(); browser=()
cpu() { awk '{printf "%.2f", $1 + $2}' "$1"; }
for r in $(seq "$reps"); do
  /usr/bin/time -f "%U %S" -o "$tmp/plain.cpu" "$bin" run "$graph" --out "$tmp/o" --force -q "$@" > "$tmp/plain.out"
  plain+=("$(wall "$tmp/plain.out")"); cpu_plain+=("$(cpu "$tmp/plain.cpu")")
  /usr/bin/time -f "%U %S" -o "$tmp/served.cpu" "$bin" run "$graph" --out "$tmp/o" --force -q "$@" --serve > "$tmp/served.out" 2> "$tmp/served.err" &
  run=$!
  url=""
  for _ in $(seq 200); do
    url=$(sed -n 's/^live view: \(http[^ ]*\)$/\1/p' "$tmp/served.err" | head -1)
    [ -n "$url" ] && break
    sleep 0.05
  done
  chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$tmp/profile" --window-size=1400,1100 \
    --remote-debugging-port=0 "$url" > /dev/null 2>&1 &
  chrome=$!
  wait "$run"
  # the browser's CPU time during the run (all its processes)
  ticks=0
  for p in $(pgrep -x chromium); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0); ticks=$((ticks + t))
  done
  browser+=("$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}')")
  kill "$chrome" 2>/dev/null || true; wait "$chrome" 2>/dev/null || true
  served+=("$(wall "$tmp/served.out")"); cpu_served+=("$(cpu "$tmp/served.cpu")")
  echo "rep $r: without ${plain[-1]} s wall (${cpu_plain[-1]} s CPU), with the page open ${served[-1]} s wall (${cpu_served[-1]} s CPU; Chromium ${browser[-1]} s CPU)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f %%", 100*(b-a)/a}'; }
mp=$(median "${plain[@]}"); ms=$(median "${served[@]}")
cp=$(median "${cpu_plain[@]}"); cs=$(median "${cpu_served[@]}")
echo "median wall without --serve: $mp s; with --serve and the page open: $ms s ($(pct "$mp" "$ms"))"
echo "median CPU of brainstream without: $cp s; with: $cs s ($(pct "$cp" "$cs"))"
