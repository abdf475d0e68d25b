#!/usr/bin/env bash
# Installs what brainstream needs beyond Rust, only where it is missing:
#   - HDF5 headers and pkg-config (Debian: libhdf5-dev, pkg-config) for hdf5-metno;
#   - fontconfig, freetype and the DejaVu fonts for the PNG plots' text;
#   - Python's h5py and numpy, which the tests use to read our files as users do;
#   - the Vulkan loader and Mesa's lavapipe (CPU Vulkan driver), on which the
#     GPU kernels' agreement tests run where no GPU is present;
#   - g++ and the Boost and libltdl headers, for the NEST adapter's native
#     spike reader (without them it reads NEST's memory backend, slower);
#   - Open MPI (mpirun and headers) and libclang, for the `mpi` feature.
# The static archives build.rs links into the programs (libhdf5.a, libsz.a,
# libaec.a, libz.a, libfontconfig.a, libfreetype.a, libpng16.a, libbrotli*.a,
# libexpat.a, libstdc++.a) come with libhdf5-dev, libfontconfig1-dev and g++.
# Idempotent and quick when everything is there.
set -euo pipefail

need_apt=()
pkg-config --exists hdf5 2>/dev/null || need_apt+=(libhdf5-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
# PNG plots (plotters' text): fontconfig, freetype and a font
pkg-config --exists fontconfig 2>/dev/null || need_apt+=(libfontconfig1-dev)
pkg-config --exists freetype2 2>/dev/null || need_apt+=(libfreetype-dev)
fc-list 2>/dev/null | grep -qi dejavu || need_apt+=(fonts-dejavu-core)
# the NEST adapter's native spike reader and window loop (python/
# brainstream_client/nest_backend.cpp and nest_loop.cpp, compiled against
# the NEST wheel's headers at first use):
# a C++20 compiler and the Boost and libltdl headers NEST's headers include
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
[ -f /usr/include/boost/type_index.hpp ] || need_apt+=(libboost-dev)
[ -f /usr/include/ltdl.h ] || need_apt+=(libltdl-dev)
# MPI (the `mpi` cargo feature: mpirun -n R brainstream sweep|run, docs/cluster.md):
# Open MPI's launcher and headers, and libclang for rsmpi's bindgen
command -v mpirun >/dev/null 2>&1 || need_apt+=(openmpi-bin)
pkg-config --exists ompi 2>/dev/null || pkg-config --exists mpich 2>/dev/null || need_apt+=(libopenmpi-dev)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need_apt+=(libclang-dev)
# Vulkan: the loader and at least one driver (lavapipe)
ldconfig -p 2>/dev/null | grep -q "libvulkan.so.1" || need_apt+=(libvulkan1)
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need_apt+=(mesa-vulkan-drivers)
# the live view's browser test (tests/parts/live_view.rs): headless Chromium
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
  echo "deps: installing ${need_apt[*]} (apt-get)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! python3 -c "import h5py, numpy" >/dev/null 2>&1; then
  echo "deps: installing h5py and numpy (pip)" >&2
  python3 -m pip install -q h5py numpy 2>/dev/null \
    || python3 -m pip install -q --break-system-packages h5py numpy
fi
