#!/usr/bin/env bash
# Edges between MPI ranks: ZeroMQ tcp (the default) against MPI itself
# (`transport = "mpi"`), on this host (docs/scaling.md, "Edges between ranks").
#
#   cargo build --release --features mpi
#   benches/mpi_edges.sh [REPS]          # default 3 runs per figure, the best kept
#
# Per window, two ranks, windows of one step (dt 0.1 ms), payload = N f64
# values per window (+ the frame's header and stamps):
# - latency: `src` (rank 0) → `echo` (rank 1) → back to `src` one window
#   later: every window waits for one round trip, so wall / windows is a
#   round trip (two edge crossings and two tiny steps);
# - throughput: `src` → `echo` only: the producer runs ahead as far as the
#   queues let it, so wall / windows is the edge's cost per window.
# Each figure is (wall of W2 windows − wall of W1 windows) / (W2 − W1) (W1,
# W2 = 1000, 11000, divided by 17 for the largest payload), the
# slower rank's wall as brainstream prints it, so start-up (MPI, handshakes)
# drops out. MPI is measured over Open MPI's tcp transport on the loopback
# (what the tests use) and over its shared-memory one (vader).
# Then the whole WC76 + 2000-neuron co-simulation of tests/parts/cosim_mpi.rs
# (2 ranks, 1 s simulated) with its two edges between ranks over each.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
BIN=${BIN:-target/release/brainstream}
[ -x "$BIN" ] || { echo "build first: cargo build --release --features mpi" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ROOT=()
[ "$(id -u)" = 0 ] && ROOT=(--allow-run-as-root)
TCP=(--oversubscribe "${ROOT[@]}" --mca btl self,tcp --mca btl_tcp_if_include lo)
SM=(--oversubscribe "${ROOT[@]}" --mca btl self,vader)

# graph N WINDOWS TRANSPORT(zmq|mpi|one) LOOP(1|0) FILE; `one`: one
# process, in-process channels (the floor: the steps and the scheduler)
graph() {
    local t="" pa='process = "a"' pb='process = "b"'
    [ "$3" = mpi ] && t='transport = "mpi"'
    [ "$3" = one ] && pa="" && pb=""
    {
        printf '[simulation]\ndt_ms = 0.1\nduration_ms = %s\nsync_ms = 0.1\n\n' "$(awk -v w="$2" 'BEGIN { print w / 10 }')"
        printf '[actors.src]\nkind = "linear_ode"\nn_nodes = %s\n%s\n\n' "$1" "$pa"
        printf '[actors.echo]\nkind = "gain"\n%s\n\n' "$pb"
        printf '[[edges]]\nfrom = "src.output"\nto = "echo.input"\n%s\n\n' "$t"
        if [ "$4" = 1 ]; then
            printf '[[edges]]\nfrom = "echo.output"\nto = "src.input"\ndelay_ms = 0.1\n%s\n' "$t"
        fi
    } >"$5"
}

# wall of the slower rank: run MPIARGS… -- GRAPH [SET…]
wall() {
    local args=() g out
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    g=$1
    shift
    out="$TMP/out"
    rm -rf "$out"
    if [ "${#args[@]}" = 0 ]; then
        "$BIN" run "$g" --out "$out" "$@" 2>&1 | sed -n 's/.* in \([0-9.]*\) s wall.*/\1/p'
        return
    fi
    mpirun "${args[@]}" -n 2 "$BIN" run "$g" --out "$out" "$@" 2>&1 |
        sed -n 's/.* in \([0-9.]*\) s wall.*/\1/p' | sort -g | tail -1
}

best() { # best of REPS: best ARGS…
    local b="" w
    for _ in $(seq "$REPS"); do
        w=$(wall "$@")
        b=$(echo "$w" "$b" | awk '{ if ($2 == "" || $1 < $2) print $1; else print $2 }')
    done
    echo "$b"
}

W1=1000
W2=11000
printf '%-10s %-5s %9s | %12s %12s %12s %12s\n' "per window" N bytes "one process" "zmq tcp" "mpi (tcp)" "mpi (vader)"
for loop in 1 0; do
    for n in 16 1024 65536; do
        row=()
        for tr in one zmq mpi-tcp mpi-sm; do
            case $tr in
                one) args=(); t=one ;;
                zmq) args=("${TCP[@]}"); t=zmq ;;
                mpi-tcp) args=("${TCP[@]}"); t=mpi ;;
                mpi-sm) args=("${SM[@]}"); t=mpi ;;
            esac
            graph "$n" $((W1 / (1 + n / 4096))) $t $loop "$TMP/g1.toml"
            graph "$n" $((W2 / (1 + n / 4096))) $t $loop "$TMP/g2.toml"
            a=$(best "${args[@]}" -- "$TMP/g1.toml" -q)
            b=$(best "${args[@]}" -- "$TMP/g2.toml" -q)
            row+=("$(awk -v a="$a" -v b="$b" -v n=$((W2 / (1 + n / 4096) - W1 / (1 + n / 4096))) 'BEGIN { printf "%.1f µs", (b - a) / n * 1e6 }')")
        done
        what=throughput
        [ $loop = 1 ] && what="round trip"
        printf '%-10s %-5s %9s | %12s %12s %12s %12s\n' "$what" "$n" "$((n * 8))" "${row[@]}"
    done
done

# the co-simulation: tests/parts/cosim_mpi.rs's two partitions
cosim() { # cosim FILE TRANSPORT
    python3 - "$1" "$2" <<'EOF'
import sys
s = open("graphs/cosim_wc76_spiking.toml").read()
for a in ["gen", "net", "filt", "spikes", "rates", "raster", "rates_plot"]:
    s = s.replace(f"[actors.{a}]\n", f"[actors.{a}]\nprocess = \"spiking\"\n")
for a in ["brain", "to_wc", "raw", "brain_plot"]:
    s = s.replace(f"[actors.{a}]\n", f"[actors.{a}]\nprocess = \"brain\"\n")
if sys.argv[2] == "mpi":
    for f, t in [("brain.coupling", "gen.input"), ("filt.output", "to_wc.input")]:
        e = f'from = "{f}"\nto = "{t}"\n'
        s = s.replace(e, e + 'transport = "mpi"\n')
open(sys.argv[1], "w").write(s)
EOF
}
cosim "$TMP/cosim_zmq.toml" zmq
cosim "$TMP/cosim_mpi.toml" mpi
echo
echo "WC76 + 2 × 1000 iaf_psc_alpha, 2 ranks, 1000 ms (1000 windows), wall of the slower rank, best of $REPS:"
echo "  zmq tcp:     $(best "${TCP[@]}" -- "$TMP/cosim_zmq.toml" --set simulation.duration_ms=1000 -q) s"
echo "  mpi (tcp):   $(best "${TCP[@]}" -- "$TMP/cosim_mpi.toml" --set simulation.duration_ms=1000 -q) s"
echo "  mpi (vader): $(best "${SM[@]}" -- "$TMP/cosim_mpi.toml" --set simulation.duration_ms=1000 -q) s"
