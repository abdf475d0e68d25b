#!/usr/bin/env bash
# Edges between MPI ranks: ZeroMQ tcp (the default) against MPI itself
# (`transport = "mpi"`), on this host (docs/scaling.md, "Edges between ranks").
#
#   cargo build --release --features mpi
#   benches/mpi_edges.sh [REPS]          # default 5 runs per figure
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
# (2 ranks, 1 s simulated) with its two edges between ranks over each, and
# in one process for reference.
# The columns of a row alternate run by run (one, zmq, mpi tcp, mpi vader,
# then again REPS times), so that a shared machine's load falls on all of
# them alike; each row prints the medians, then every run and the load
# average (1, 5, 15 min) before and after it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
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

# wall of the slower rank: wall MPIARGS… -- GRAPH [SET…] (no MPIARGS: one
# process); a run that prints no wall stops the script with its output
wall() {
    local args=() g out log w
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    g=$1
    shift
    out="$TMP/out"
    log="$TMP/log"
    rm -rf "$out"
    if [ "${#args[@]}" = 0 ]; then
        "$BIN" run "$g" --out "$out" "$@" >"$log" 2>&1 || true
    else
        mpirun "${args[@]}" -n 2 "$BIN" run "$g" --out "$out" "$@" >"$log" 2>&1 || true
    fi
    w=$(sed -n 's/.* in \([0-9.]*\) s wall.*/\1/p' "$log" | sort -g | tail -1)
    if [ -z "$w" ] || { [ "${#args[@]}" != 0 ] && [ "$(grep -c ' s wall' "$log")" != 2 ]; }; then
        echo "no wall time from $g ($*):" >&2
        cat "$log" >&2
        exit 1
    fi
    echo "$w"
}

median() { # of the numbers on stdin, one a line
    sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
mpiargs() { # the mpirun flags of a column
    case $1 in
        one) ;;
        zmq | mpi-tcp) echo "${TCP[@]}" ;;
        mpi-sm) echo "${SM[@]}" ;;
    esac
}

W1=1000
W2=11000
COLS=(one zmq mpi-tcp mpi-sm)
echo "$(date -u '+%F %H:%M UTC'), $(nproc) CPUs, $REPS runs per figure, $("$BIN" --version 2>&1 | head -1)"
printf '%-10s %-5s %9s | %12s %12s %12s %12s\n' "per window" N bytes "one process" "zmq tcp" "mpi (tcp)" "mpi (vader)"
DETAIL=""
for loop in 1 0; do
    for n in 16 1024 65536; do
        w1=$((W1 / (1 + n / 4096)))
        w2=$((W2 / (1 + n / 4096)))
        for t in one zmq mpi; do
            graph "$n" $w1 $t $loop "$TMP/$t-1.toml"
            graph "$n" $w2 $t $loop "$TMP/$t-2.toml"
        done
        declare -A RUNS=()
        l0=$(load)
        for _ in $(seq "$REPS"); do
            for c in "${COLS[@]}"; do
                t=${c%-*}
                read -r -a args <<<"$(mpiargs "$c")"
                a=$(wall "${args[@]}" -- "$TMP/$t-1.toml" -q)
                b=$(wall "${args[@]}" -- "$TMP/$t-2.toml" -q)
                RUNS[$c]+="$(awk -v a="$a" -v b="$b" -v n=$((w2 - w1)) 'BEGIN { printf "%.1f", (b - a) / n * 1e6 }') "
            done
        done
        what=throughput
        [ $loop = 1 ] && what="round trip"
        row=()
        for c in "${COLS[@]}"; do
            row+=("$(tr ' ' '\n' <<<"${RUNS[$c]}" | grep . | median) µs")
        done
        printf '%-10s %-5s %9s | %12s %12s %12s %12s\n' "$what" "$n" "$((n * 8))" "${row[@]}"
        DETAIL+="$what N=$n (load $l0 → $(load)), µs: one [${RUNS[one]% }] zmq [${RUNS[zmq]% }] mpi-tcp [${RUNS[mpi-tcp]% }] mpi-sm [${RUNS[mpi-sm]% }]"$'\n'
        unset RUNS
    done
done
echo
echo "every run:"
printf '%s' "$DETAIL"

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
echo "WC76 + 2 × 1000 iaf_psc_alpha, 1000 ms (1000 windows), wall of the slower rank, median of $REPS (alternated):"
declare -A CO=()
l0=$(load)
for _ in $(seq "$REPS"); do
    CO[one]+="$(wall -- graphs/cosim_wc76_spiking.toml --set simulation.duration_ms=1000 -q) "
    CO[zmq]+="$(wall "${TCP[@]}" -- "$TMP/cosim_zmq.toml" --set simulation.duration_ms=1000 -q) "
    CO[mpi-tcp]+="$(wall "${TCP[@]}" -- "$TMP/cosim_mpi.toml" --set simulation.duration_ms=1000 -q) "
    CO[mpi-sm]+="$(wall "${SM[@]}" -- "$TMP/cosim_mpi.toml" --set simulation.duration_ms=1000 -q) "
done
for c in one zmq mpi-tcp mpi-sm; do
    printf '  %-22s %s s   runs [%s]\n' "$(case $c in one) echo "one process:" ;; zmq) echo "2 ranks, zmq tcp:" ;; mpi-tcp) echo "2 ranks, mpi (tcp):" ;; mpi-sm) echo "2 ranks, mpi (vader):" ;; esac)" \
        "$(tr ' ' '\n' <<<"${CO[$c]}" | grep . | median)" "${CO[$c]% }"
done
echo "  load $l0 → $(load)"
