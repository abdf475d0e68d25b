#!/usr/bin/env bash
# The mean-field engine's thread count in a whole graph: RWW on a 998-region
# synthetic connectome (10 % dense, benches/synthetic_connectome.py), 1 s
# simulated with its recorders (graphs/tvb_rww76.toml), threads = 1, 0
# (automatic) and 2, alternated, REPS times; prints wall and user seconds and
# the load average after each round.
#   benches/threads998.sh [BRAINSTREAM_BINARY] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-target/release/brainstream}
REPS=${2:-3}
CONN=${TMPDIR:-/tmp}/syn998.zip
[ -f "$CONN" ] || python3 benches/synthetic_connectome.py --n 998 --density 0.1 --out "$CONN" >&2
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for rep in $(seq "$REPS"); do
  for t in 1 0 2; do
    /usr/bin/time -f "threads=$t %e s wall %U s user" "$B" run graphs/tvb_rww76.toml \
      --set actors.brain.connectivity="$CONN" --set actors.brain.threads=$t \
      --set actors.tavg.offset_steps=0 --out "$OUT/t$t" --force 2>&1 >/dev/null | tail -1
  done
  echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
done
