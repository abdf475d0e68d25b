#!/usr/bin/env bash
# A TVB-AdEx sweep on Vulkan with its analyses streamed on the device (the
# default) and on the host (BRAINSTREAM_SWEEP_ANALYSES=host), alternated:
# wall time of each whole process and the log's per-batch split
# (host_analyses_s: the host's per-period analyses; rows_s: the device's
# sums read back and the rows made). docs/benchmarks.md ("TVB-AdEx
# sweeps"), issue 23.
#
#   benches/sweep_analyses.sh target/release/brainstream [COMBINATIONS_SIDE] [DURATION_MS] [RUNS]
#
# COMBINATIONS_SIDE² combinations (coupling a × b_e), default 8 (64).
set -euo pipefail
bin=${1:?usage: $0 BRAINSTREAM [SIDE] [DURATION_MS] [RUNS]}
side=${2:-8}
dur=${3:-400}
runs=${4:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/s.toml" <<TOML
graph = "$here/graphs/adex68.toml"
actor = "brain"
duration_ms = $dur
transient_ms = 100.0
[[axes]]
param = "coupling_params.a"
linspace = [0.0, 0.6, $side]
[[axes]]
param = "model_params.b_e"
linspace = [0.0, 120.0, $side]
[analysis]
signal = "E"
rates = ["E", "I", "W_e"]
period_ms = 1.0
fcd_window_ms = 100.0
fcd_step_ms = 50.0
updown_thresholds = [0.5e-3, 2e-3]
TOML
for r in $(seq 1 "$runs"); do
  for place in device host; do
    out="$dir/$place-$r"
    t0=$(date +%s.%N)
    BRAINSTREAM_SWEEP_ANALYSES=$place "$bin" -v sweep "$dir/s.toml" --out "$out" \
      --backend vulkan --threads 2 --quiet 2> "$dir/log" || { cat "$dir/log"; exit 1; }
    t1=$(date +%s.%N)
    echo "$place run $r: wall $(echo "$t1 - $t0" | bc) s, load $(cut -d' ' -f1 /proc/loadavg)"
    grep -E "Vulkan sweep analyses|Vulkan batch" "$dir/log" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^.*INFO[^:]*: //' -e 's/^/    /'
  done
done
"$here/target/pyenv/bin/python" - "$dir" <<'PY' 2>/dev/null || true
import sys, h5py, numpy as np
d = sys.argv[1]
a = h5py.File(f"{d}/device-1/sweep.h5")["table"][()]
b = h5py.File(f"{d}/host-1/sweep.h5")["table"][()]
ok = np.isfinite(b)
scale = np.nanmax(np.abs(np.where(ok, b, np.nan)), axis=0)
err = np.nanmax(np.abs(np.where(ok, a - b, np.nan)), axis=0)
print("device vs host, worst |difference| / column scale:", np.nanmax(err / np.where(scale > 0, scale, 1)))
PY
