#!/usr/bin/env bash
# Paired comparison of two builds on the NEST co-simulation (2 x 1000
# neurons, graphs/cosim_wc76_nest.toml): runs each build with its own
# client, alternating, N pairs, and prints the client's window loop and
# NEST's Run time per run, then medians and the paired ratio. Alternating
# pairs cancel most of this shared machine's drift.
#   benches/paired_cosim.sh N OLD_BIN OLD_PYTHON_DIR NEW_BIN NEW_PYTHON_DIR
# e.g. git worktree add /tmp/old <commit>; (cd /tmp/old && cargo build --release)
#   benches/paired_cosim.sh 10 /tmp/old/target/release/brainstream /tmp/old/python \
#                              target/release/brainstream python
set -euo pipefail
cd "$(dirname "$0")/.."
n=$1; bins=("$2" "$4"); pys=("$(realpath "$3")" "$(realpath "$5")")
py_bin=${BRAINSTREAM_PYTHON_BIN:-$PWD/target/pyenv/bin}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed "s#../examples/external/wc76_nest.py#$PWD/examples/external/wc76_nest.py#" graphs/cosim_wc76_nest.toml > "$tmp/g.toml"
for i in $(seq 1 "$n"); do
  for k in 0 1; do
    rm -rf "$tmp/o"
    PYTHONPATH=${pys[$k]} PATH=$py_bin:$PATH "${bins[$k]}" run "$tmp/g.toml" --out "$tmp/o" -q >/dev/null
    echo "$k $(grep -o 'in [0-9.]* s, NEST [0-9.]* advancing [0-9.]*' "$tmp/o/net.log" | awk '{print $2, $7}')"
  done
done | python3 -c '
import statistics as st, sys
d = {0: [], 1: []}
for l in sys.stdin:
    k, loop, run = l.split(); d[int(k)].append((float(loop), float(run)))
for k, name in ((0, "old"), (1, "new")):
    print(f"{name}: window loop median {st.median(x for x, _ in d[k]):.3f} s, NEST Run median "
          f"{st.median(y for _, y in d[k]):.3f} s, runs {sorted(round(x, 3) for x, _ in d[k])}")
print(f"paired ratio new/old, median: {st.median(b[0] / a[0] for a, b in zip(d[0], d[1])):.3f}")
'
