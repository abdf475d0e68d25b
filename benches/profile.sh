#!/usr/bin/env bash
# Issue 22's profiles: where the time of each slow row of the issue's table
# goes, as `perf` sampling profiles (software clock `cpu-clock`: this VM
# exposes no hardware counters), flat by thread and symbol, plus a start-up
# breakdown. Writes OUT/NAME.txt (perf report) and OUT/NAME.log (the run).
#
#   benches/profile.sh [BRAINSTREAM_BINARY] [OUT]
#
# Build the binary with line tables so the samples resolve to functions and
# lines (same code as `cargo build --release`; only the debug info differs):
#   CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release --bin brainstream
# PROFILES= a space-separated subset of: rww998 rww998_t2 adex68 cond1000
# cond1000_auto aeif1000 start (default all). Needs `perf` (Debian: linux-perf) and strace.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(realpath "${1:-target/release/brainstream}")
OUT=${2:-${TMPDIR:-/tmp}/bs-profiles}
PROFILES=${PROFILES:-"rww998 rww998_t2 adex68 cond1000 cond1000_auto aeif1000 start"}
FREQ=${FREQ:-1999}
mkdir -p "$OUT"
CONN=${TMPDIR:-/tmp}/syn998.zip
[ -f "$CONN" ] || python3 benches/synthetic_connectome.py --n 998 --density 0.1 --out "$CONN" >&2

# perf_flat NAME COMMAND…: sample COMMAND, report self time by thread and symbol
perf_flat() {
  local name=$1
  shift
  perf record -q -e cpu-clock -F "$FREQ" -o "$OUT/$name.data" -- "$@" >"$OUT/$name.log" 2>&1
  perf report -i "$OUT/$name.data" --no-children --sort comm,symbol --stdio \
    --percent-limit 0.5 2>/dev/null | grep -v '^$' >"$OUT/$name.txt"
  perf report -i "$OUT/$name.data" --no-children --sort dso --stdio \
    --percent-limit 0.5 2>/dev/null | grep -v '^$' >"$OUT/$name.dso.txt"
  echo "== $name: $(grep -E "^simulated" "$OUT/$name.log" | cut -c1-160)"
  grep -v '^#' "$OUT/$name.txt" | head -15
}

# a spiking network alone, the shape of benches/spiking.rs `cond`: 800/200
# E/I, fixed in-degree 80 (0.5 nS) and 20 (−2 nS), delay 1.5 ms, 8 kHz Poisson
# background (weight $3 nS, default 1.5; 1 ms), 1 s at 0.1 ms, $2 threads
# (default 1), every spike recorded
spiking_graph() {
  cat <<EOF
[simulation]
dt_ms = 0.1
duration_ms = 1000.0
seed = 12345

[actors.net]
kind = "spiking_network"
model = "$1"
regions = ["r0"]
populations = { E = 800, I = 200 }
background = { rate_hz = 8000.0, weight = ${3:-1.5}, delay_ms = 1.0 }
threads = ${2:-1}
EOF
  for c in "E E 80 0.5" "E I 80 0.5" "I E 20 -2.0" "I I 20 -2.0"; do
    set -- $c
    printf '\n[[actors.net.connections]]\nfrom = "%s"\nto = "%s"\nrule = "fixed_indegree"\nindegree = %s\nweight = %s\ndelay_ms = 1.5\n' "$1" "$2" "$3" "$4"
  done
  printf '\n[actors.spikes]\nkind = "hdf5_recorder"\n\n[[edges]]\nfrom = "net.spikes"\nto = "spikes.spikes"\n'
}

for p in $PROFILES; do
  case $p in
    rww998 | rww998_t2)
      t=1
      [ "$p" = rww998_t2 ] && t=2
      perf_flat "$p" "$B" run graphs/tvb_rww76.toml --set actors.brain.connectivity="$CONN" \
        --set actors.brain.threads=$t --set actors.tavg.offset_steps=0 --out "$OUT/run_$p" --force
      ;;
    adex68)
      perf_flat adex68 "$B" run graphs/adex68.toml --set simulation.duration_ms=1000 \
        --set actors.brain.threads=1 --out "$OUT/run_adex68" --force
      ;;
    cond1000 | aeif1000 | cond1000_auto)
      # threads = 1; cond1000_auto: threads = 0 (the default, 2 on this machine)
      m=iaf_cond_alpha
      [ "$p" = aeif1000 ] && m=aeif_cond_exp
      t=1
      [ "$p" = cond1000_auto ] && t=0
      # aeif_cond_exp (C_m 281 pF, g_L 30 nS, V_th −50.4 mV) is silent at
      # 1.5 nS: 10 nS background gives ~24 Hz
      bg=1.5
      [ "$p" = aeif1000 ] && bg=10.0
      spiking_graph $m $t $bg >"$OUT/$p.toml"
      perf_flat "$p" "$B" run "$OUT/$p.toml" --out "$OUT/run_$p" --force
      ;;
    start)
      # a tiny graph: the default RWW graph for 0.1 ms (one step)
      tiny=("$B" run graphs/tvb_rww76.toml --set simulation.duration_ms=0.1 --out "$OUT/run_start" --force)
      "${tiny[@]}" >/dev/null 2>&1
      perf stat -o "$OUT/start.stat" -r 30 -e task-clock,page-faults -- "${tiny[@]}" >/dev/null 2>&1
      # the same without any shared library work: `--version` parses no graph
      perf stat -o "$OUT/start_version.stat" -r 30 -e task-clock,page-faults -- "$B" --version >/dev/null 2>&1
      LD_DEBUG=statistics "${tiny[@]}" 2>"$OUT/start.ld_debug" >/dev/null
      strace -f -c -o "$OUT/start.strace" "${tiny[@]}" >/dev/null 2>&1
      strace -f -tt -e trace=openat,execve,clone3,clone,exit_group -o "$OUT/start.strace_tt" "${tiny[@]}" >/dev/null 2>&1
      perf record -q -e cpu-clock -F 49999 -o "$OUT/start.data" -- \
        sh -c 'for i in $(seq 50); do "$@" >/dev/null 2>&1; done' sh "${tiny[@]}"
      perf report -i "$OUT/start.data" --no-children --sort dso --stdio --percent-limit 1 2>/dev/null \
        | grep -v '^$' >"$OUT/start.dso.txt"
      perf report -i "$OUT/start.data" --no-children --sort dso,symbol --stdio --percent-limit 0.7 \
        2>/dev/null | grep -v '^$' >"$OUT/start.txt"
      # callers (HDF5's H5Dwrite → H5FL_blk_calloc, Recorder::start …): 8 runs with call graphs
      perf record -q -e cpu-clock -F 49999 --call-graph dwarf,16384 -o "$OUT/start_g.data" -- \
        sh -c 'for i in 1 2 3 4 5 6 7 8; do "$@" >/dev/null 2>&1; done' sh "${tiny[@]}" 2>/dev/null
      perf report -i "$OUT/start_g.data" --children --sort symbol -g none --stdio --percent-limit 2 \
        2>/dev/null | grep -v '^$' | cut -c1-200 >"$OUT/start_callers.txt"
      echo "== start"
      grep -E 'task-clock|faults|elapsed' "$OUT/start.stat" "$OUT/start_version.stat"
      grep -E 'total startup time|relocation processing' "$OUT/start.ld_debug" | head -3
      grep -v '^#' "$OUT/start.dso.txt" | head -12
      ;;
    *)
      echo "unknown profile $p" >&2
      exit 2
      ;;
  esac
done
