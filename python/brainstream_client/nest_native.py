"""The adapter's native spike reader for NEST: nest_backend.cpp, compiled
once per NEST version against the headers the nest-simulator wheel ships,
loaded into the running NEST and registered as the recording backend
"brainstream". A spike recorder with `record_to = "brainstream"` then
hands each window's spikes over in one call of a few µs (NEST's memory
backend, read through its Python API: ~80 µs a window, plus resets).

Needs a C++20 compiler (`$CXX` or g++) and the Boost and libltdl headers
NEST's headers include (Debian: g++ libboost-dev libltdl-dev). Where
anything is missing or fails, `load()` says why and returns None, and the
adapter reads NEST's memory backend as before. BRAINSTREAM_NEST_NATIVE=0
turns it off.
"""

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nest_backend.cpp")


def _cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "brainstream_client")


def _old_abi(kernel_so):
    """Whether NEST was built with the pre-C++11 std::string ABI (the
    manylinux2014 wheels are), read from how one of NEST's own functions
    taking a std::string is mangled (the library also holds pieces of
    libstdc++ of both ABIs, so `__cxx11` alone says nothing)."""
    with open(kernel_so, "rb") as f:
        data = f.read()
    new = b"_ZN4nest9IOManager15enroll_recorderERKNSt7__cxx1112basic_string"
    old = b"_ZN4nest9IOManager15enroll_recorderERKSs"
    if new in data:
        return False
    if old in data:
        return True
    raise RuntimeError("cannot tell which C++ ABI NEST was built with")


def _build(nest, kernel_so):
    include = os.path.join(os.path.dirname(nest.__file__), "include")
    if not os.path.exists(os.path.join(include, "nest", "recording_backend.h")):
        raise RuntimeError(f"no NEST headers in {include}")
    cxx = shutil.which(os.environ.get("CXX", "g++"))
    if cxx is None:
        raise RuntimeError("no C++ compiler (g++ or $CXX)")
    flags = ["-O2", "-shared", "-fPIC", "-std=c++20",
             f"-D_GLIBCXX_USE_CXX11_ABI={0 if _old_abi(kernel_so) else 1}",
             f"-I{include}/nest", f"-I{include}"]
    src = open(_SOURCE, "rb").read()
    key = hashlib.sha256(src + " ".join([cxx] + flags).encode() +
                         str(getattr(nest, "__version__", "?")).encode() +
                         str(os.path.getmtime(kernel_so)).encode()).hexdigest()[:16]
    out = os.path.join(_cache_dir(), f"nest_backend-{key}.so")
    if os.path.exists(out):
        return out
    os.makedirs(_cache_dir(), exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=_cache_dir())
    os.close(fd)
    r = subprocess.run([cxx] + flags + [_SOURCE, "-o", tmp], capture_output=True, text=True)
    if r.returncode:
        os.unlink(tmp)
        first = next((l for l in r.stderr.splitlines() if "error" in l), r.stderr.strip()[:300])
        raise RuntimeError(f"compiling nest_backend.cpp failed: {first}")
    os.replace(tmp, out)  # atomic: concurrent builders agree
    return out


class NativeSpikes:
    """The registered backend: `take()` → (senders, steps) of every spike
    recorded since the last call, oldest first (int64 arrays)."""

    def __init__(self, lib):
        self.lib = lib
        lib.bs_take.restype = ctypes.c_long
        lib.bs_take.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
        lib.bs_count.restype = ctypes.c_long
        self._grow(1 << 16)

    def _grow(self, n):
        self.senders = np.empty(n, dtype=np.int64)
        self.steps = np.empty(n, dtype=np.int64)
        self._ps, self._pt = self.senders.ctypes.data, self.steps.ctypes.data

    def take(self):
        n = self.lib.bs_count()
        if n > len(self.senders):
            self._grow(max(n, 2 * len(self.senders)))
        n = self.lib.bs_take(self._ps, self._pt, len(self.senders))
        return self.senders[:n].copy(), self.steps[:n].copy()


def load(nest):
    """The native reader, registered in the running NEST; None (and one
    line on stderr saying why) where it cannot be had."""
    if os.environ.get("BRAINSTREAM_NEST_NATIVE", "1") == "0":
        return None
    try:
        from nest import nestkernel_api as kernel
        kernel_so = kernel.__file__
        path = _build(nest, kernel_so)
        # the kernel's symbols, for the backend to link against: Python
        # loaded the extension module privately (RTLD_LOCAL)
        ctypes.CDLL(kernel_so, mode=os.RTLD_GLOBAL | getattr(os, "RTLD_NOLOAD", 4))
        lib = ctypes.CDLL(path)
        lib.bs_register.restype = ctypes.c_int
        code = lib.bs_register()
        if code == 2:
            raise RuntimeError("NEST refused the recording backend")
        reader = NativeSpikes(lib)
        reader.take()  # drop anything left from an earlier network
        return reader
    except Exception as e:  # any failure: the Python path still works
        print(f"brainstream_client: NEST's spikes through its memory backend ({e}; "
              "the native reader needs g++ and the Boost and libltdl headers: "
              "apt-get install g++ libboost-dev libltdl-dev)", file=sys.stderr, flush=True)
        return None
