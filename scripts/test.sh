#!/usr/bin/env bash
# The test command: installs missing system packages, then runs every test
# of the workspace (unit, tvb-library references, graph corpus, HDF5 read back
# by h5py, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc
