#!/usr/bin/env bash
# The Python package `brainstream` (pyproject.toml; Rust in pyapi/, Python in
# pyapi/python/brainstream) built with maturin and installed, with what its
# tests need (pytest, h5py, nbclient, ipykernel, matplotlib), in its own
# virtual environment (target/pyapi) — not NEST's (target/pyenv), which
# stays light. With --tvb also tvb-library 2.10 (the TVB bridge tests).
#   scripts/pyapi.sh [--tvb]      # prints the venv's bin folder
# Exit status 3: the environment could not be prepared (no PyPI: pip
# failed), which scripts/test.sh reports as a skip outside CI; any other
# failure (the build) is an error.
# Idempotent and quick when nothing changed: cargo rebuilds nothing, the
# wheel is installed again only when it changed. The wheel is built with
# the dev profile at opt-level 2 (the engine's speed of `cargo test`): its
# third-party crates are `cargo build`'s (opt-level 2 already), the
# workspace's crates are compiled once more at opt-level 2 (~2 min on 2
# cores after a change to a crate everything depends on). Not `--profile
# test`, which would share `cargo test`'s artifacts: cargo builds a library
# under that profile as a test harness, not an extension module.
# BRAINSTREAM_PYAPI_RELEASE=1 builds what `pip install .` builds instead:
# the release profile, for benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BRAINSTREAM_PYAPI_ENV:-target/pyapi}
mkdir -p "$(dirname "$VENV")"
if [ ! -x "$VENV/bin/python3" ]; then
  echo "pyapi: creating $VENV" >&2
  python3 -m venv "$VENV" >&2 || exit 3
  "$VENV/bin/pip" install -q --upgrade pip >&2 || exit 3
fi
PY="$VENV/bin/python3"
"$PY" -c "import maturin, numpy, xarray, pandas, tqdm, pytest, h5py, nbclient, nbformat, ipykernel, matplotlib" >/dev/null 2>&1 || {
  echo "pyapi: installing maturin and the test dependencies" >&2
  "$VENV/bin/pip" install -q "maturin>=1.5,<2" numpy xarray pandas tqdm pytest h5py nbclient nbformat ipykernel matplotlib >&2 || exit 3
}
if [ "${1:-}" = "--tvb" ]; then
  "$PY" -c "import tvb.simulator.lab" >/dev/null 2>&1 || { echo "pyapi: installing tvb-library" >&2; "$VENV/bin/pip" install -q "tvb-library==2.10.*" >&2 || exit 3; }
fi
WHEELS=target/pyapi-wheels
rm -rf "$WHEELS"
if [ "${BRAINSTREAM_PYAPI_RELEASE:-0}" = 1 ]; then
  "$VENV/bin/maturin" build --release --auditwheel skip -q -o "$WHEELS" >&2
else
  CARGO_PROFILE_DEV_OPT_LEVEL=2 "$VENV/bin/maturin" build --strip --auditwheel skip -q -o "$WHEELS" >&2
fi
wheel=$(ls "$WHEELS"/brainstream-*.whl)
# the wheel's files decide whether to reinstall (not its zip timestamps,
# nor its RECORD and SBOM, which change with every build)
sum=$("$PY" -c "import hashlib, sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(hashlib.sha256(b''.join(n.encode() + z.read(n) for n in sorted(z.namelist()) if '/sboms/' not in n and not n.endswith('RECORD'))).hexdigest())" "$wheel")
if [ "$(cat "$VENV/.brainstream-wheel" 2>/dev/null)" != "$sum" ] || ! "$PY" -c "import brainstream" >/dev/null 2>&1; then
  echo "pyapi: installing $(basename "$wheel")" >&2
  "$VENV/bin/pip" install -q --no-deps --force-reinstall "$wheel" >&2
  echo "$sum" > "$VENV/.brainstream-wheel"
fi
cd "$VENV/bin" && pwd
