#!/usr/bin/env bash
# The Python side of the external actors, in its own virtual environment
# (target/pyenv): pyzmq, numpy, this repository's client (python/), xarray
# and h5netcdf (to read our files in the tests), tvb-data, Elephant, and
# NEST (nest-simulator wheel, about a minute), NEURON 9 and NetPyNE 1.1
# (wheels, about 25 s together). With --annarchy also
# ANNarchy 5 and cmake (an sdist: about 4 minutes to build on 2 cores; its
# networks then compile with g++ at run time).
#   scripts/pyenv.sh [--annarchy]      # prints the venv's bin folder
# Idempotent: what is installed is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BRAINSTREAM_PYENV:-target/pyenv}
mkdir -p "$(dirname "$VENV")"
if [ ! -x "$VENV/bin/python3" ]; then
  echo "pyenv: creating $VENV" >&2
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --upgrade pip >&2
fi
PY="$VENV/bin/python3"
"$PY" -c "import zmq, numpy" >/dev/null 2>&1 || { echo "pyenv: installing pyzmq numpy" >&2; "$VENV/bin/pip" install -q pyzmq numpy >&2; }
# xarray and h5netcdf: the tests open every file brainstream writes as a
# user would, xarray.open_dataset(path, engine="h5netcdf") (docs/outputs.md)
"$PY" -c "import xarray, h5netcdf, h5py" >/dev/null 2>&1 || { echo "pyenv: installing xarray h5netcdf h5py" >&2; "$VENV/bin/pip" install -q xarray h5netcdf h5py >&2; }
# tvb-data (a 52 MB wheel): the tests read its sensor, projection and
# region-mapping files as users give them (tests/recording.rs)
"$PY" -c "import tvb_data" >/dev/null 2>&1 || { echo "pyenv: installing tvb-data" >&2; "$VENV/bin/pip" install -q tvb-data >&2; }
# Elephant (pure Python wheels, with neo, quantities and scipy): the tests
# compare spike_stats with its statistics on the same trains
"$PY" -c "import elephant" >/dev/null 2>&1 || { echo "pyenv: installing elephant" >&2; "$VENV/bin/pip" install -q elephant >&2; }
# the client, always reinstalled from this checkout (cheap), built from a
# copy so that setuptools leaves no build/ or egg-info in the tree
tmp=$(mktemp -d)
cp -r python "$tmp/"
"$VENV/bin/pip" install -q --no-deps --force-reinstall "$tmp/python" >&2
rm -rf "$tmp"
"$PY" -c "import nest" >/dev/null 2>&1 || { echo "pyenv: installing nest-simulator" >&2; "$VENV/bin/pip" install -q nest-simulator >&2; }
# NEURON and NetPyNE (binary wheels; NetPyNE brings matplotlib, pandas,
# bokeh...): the NetPyNE external actor (graphs/cosim_wc76_netpyne.toml)
"$PY" -c "import neuron, netpyne" >/dev/null 2>&1 || { echo "pyenv: installing neuron netpyne" >&2; "$VENV/bin/pip" install -q "neuron>=9,<10" "netpyne>=1.1,<2" >&2; }
if [ "${1:-}" = "--annarchy" ]; then
  "$PY" -c "import ANNarchy" >/dev/null 2>&1 || { echo "pyenv: installing annarchy (builds from source, ~4 min)" >&2; "$VENV/bin/pip" install -q annarchy cmake >&2; }
fi
cd "$VENV/bin" && pwd
