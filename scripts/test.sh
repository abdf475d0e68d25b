#!/usr/bin/env bash
# The test command: installs missing system packages and the Python side of
# the external actors (target/pyenv: pyzmq, numpy, the client in python/,
# NEST), then runs every test of the workspace (unit, tvb-library
# references, graph corpus, HDF5 read back by h5py, CLI, real NEST as an
# external actor).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if bin=$(scripts/pyenv.sh); then
  export BRAINSTREAM_PYTHON_BIN="$bin"
else
  echo "test: could not prepare target/pyenv (no PyPI?); the external-actor tests will say they skipped" >&2
fi
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc
