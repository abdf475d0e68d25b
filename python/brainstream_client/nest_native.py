"""The NEST adapter's native part: nest_backend.cpp and nest_loop.cpp,
compiled once per NEST version against the headers the nest-simulator
wheel ships, loaded into the running NEST.

- The recording backend "brainstream" (nest_backend.cpp): a spike recorder
  with `record_to = "brainstream"` hands each window's spikes over in one
  call of a few µs (NEST's memory backend, read through its Python API:
  ~80 µs a window, plus resets).
- The window loop (nest_loop.cpp, `NativeNest.serve`): for proxy spike
  trains, rates or currents in and spikes and rates out, whole windows
  served in C++ — the stream's messages read, the generators set, NEST
  run, the answer sent — a few µs a window where the Python path costs
  ~0.2 ms.

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

_HERE = os.path.dirname(os.path.abspath(__file__))
_SOURCES = [os.path.join(_HERE, f) for f in ("nest_backend.cpp", "nest_loop.cpp")]
_HEADER = os.path.join(_HERE, "nest_native.h")


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
             f"-I{include}/nest", f"-I{include}", f"-I{_HERE}"]
    src = b"".join(open(f, "rb").read() for f in _SOURCES + [_HEADER])
    key = hashlib.sha256(src + " ".join([cxx] + flags).encode() +
                         str(getattr(nest, "__version__", "?")).encode() +
                         str(os.path.getmtime(kernel_so)).encode()).hexdigest()[:16]
    out = os.path.join(_cache_dir(), f"nest_backend-{key}.so")
    if os.path.exists(out):
        return out
    os.makedirs(_cache_dir(), exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=_cache_dir())
    os.close(fd)
    # a line brainstream shows as it comes ("note: ..."), instead of
    # sitting at 0 % while the compiler runs
    print("brainstream-notice: building the NEST adapter's native part for NEST "
          f"{getattr(nest, '__version__', '?')} (one time per NEST version, about a minute; "
          f"cached in {_cache_dir()})...", file=sys.stderr, flush=True)
    r = subprocess.run([cxx] + flags + _SOURCES + ["-o", tmp], capture_output=True, text=True)
    if r.returncode:
        os.unlink(tmp)
        first = next((l for l in r.stderr.splitlines() if "error" in l), r.stderr.strip()[:300])
        raise RuntimeError(f"compiling nest_backend.cpp and nest_loop.cpp failed: {first}")
    os.replace(tmp, out)  # atomic: concurrent builders agree
    return out


class NativeError(RuntimeError):
    """NEST refused or failed in the native window loop."""


# bs_serve's results (nest_loop.cpp)
HANDED_BACK, IDLE, FAILED, NEST_FAILED = 0, 1, 2, 3


class NativeNest:
    """The registered backend (`take`, `take_samples`) and the window loop
    (`configure`, then `serve`)."""

    def __init__(self, lib, pylib):
        self.lib = lib
        lib.bs_take.restype = ctypes.c_long
        lib.bs_take_samples.restype = ctypes.c_long
        for f in ("bs_taken_senders", "bs_taken_steps", "bs_taken_values"):
            getattr(lib, f).restype = ctypes.c_void_p
        p = ctypes.c_void_p
        lib.bs_loop_configure.restype = None
        lib.bs_loop_configure.argtypes = [ctypes.c_int, ctypes.c_double, ctypes.c_long, p, p, p,
                                          ctypes.c_long, p, ctypes.c_long, p, ctypes.c_long, ctypes.c_long,
                                          p, ctypes.c_long, ctypes.c_long, ctypes.c_long]
        lib.bs_loop_meta.restype = None
        lib.bs_loop_meta.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_long]
        # the loop runs NEST, which may log through Python: it keeps the GIL
        # (a PyDLL call), as nest.Run does
        self._serve = pylib.bs_serve
        self._serve.restype = ctypes.c_int
        self._serve.argtypes = [ctypes.c_char_p, ctypes.c_long, ctypes.POINTER(ctypes.c_long),
                                ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]
        lib.bs_leftover_size.restype = ctypes.c_long
        lib.bs_leftover.restype = ctypes.c_void_p
        lib.bs_error.restype = ctypes.c_char_p

    def configure(self, fd, dt, gens, rate_gens, current_gens, lut, cell, sizes, nreg, out_spikes,
                  out_rates, out_v_m):
        """The window loop's interface: `gens[k]` the NEST node id of proxy
        train k, `rate_gens[r]` and `current_gens[r]` region r's
        inhomogeneous Poisson and step current generators (or None),
        `lut[node id]` its global neuron index (-1: none),
        `cell[neuron]` its population * nreg + region, `sizes[p]` the
        neurons of population p; the output edges of spikes, rates and v_m
        (-1: no v_m)."""
        self._keep = [np.ascontiguousarray(a, dtype=t) for a, t in
                      ((gens, np.int64), (lut, np.int64), (cell, np.int64), (sizes, np.float64))]
        g, lt, c, sz = self._keep
        series = [None if x is None else np.ascontiguousarray(x, dtype=np.int64)
                  for x in (rate_gens, current_gens)]
        for x in series:
            if x is not None and len(x) != nreg:
                raise ValueError("one generator per region")
        self._keep += [x for x in series if x is not None]
        rp, cp = (None if x is None else x.ctypes.data for x in series)
        self.lib.bs_loop_configure(fd, dt, len(g), g.ctypes.data, rp, cp, len(lt), lt.ctypes.data,
                                   len(c), c.ctypes.data, len(sz), nreg, sz.ctypes.data,
                                   out_spikes, out_rates, out_v_m)

    def meta(self, edge, variables, nodes):
        """What the names of series input port `edge` say (a series of a
        port without them is left to Python)."""
        self.lib.bs_loop_meta(edge, variables, nodes)

    def serve(self, pending):
        """Serves windows from the stream, `pending` the bytes already read
        from it, until something is Python's to handle → (code, the bytes
        read but not consumed, windows served, NEST's run time in s, the
        time.perf_counter() the first window began or None, the failure's
        message for FAILED and NEST_FAILED)."""
        windows, run_s, first = ctypes.c_long(0), ctypes.c_double(0.0), ctypes.c_double(0.0)
        code = self._serve(pending, len(pending), ctypes.byref(windows), ctypes.byref(run_s),
                           ctypes.byref(first))
        n = self.lib.bs_leftover_size()
        left = ctypes.string_at(self.lib.bs_leftover(), n) if n else b""
        why = self.lib.bs_error().decode("utf-8", "replace") if code in (FAILED, NEST_FAILED) else ""
        return code, left, windows.value, run_s.value, first.value or None, why

    def _array(self, fn, n, dtype):
        if n == 0:
            return np.zeros(0, dtype=dtype)
        size = np.dtype(dtype).itemsize
        return np.frombuffer(ctypes.string_at(fn(), n * size), dtype=dtype)

    def take(self):
        """(senders, steps): every spike recorded since the last call,
        thread by thread, each thread's oldest first."""
        n = self.lib.bs_take()
        return (self._array(self.lib.bs_taken_senders, n, np.int64),
                self._array(self.lib.bs_taken_steps, n, np.int64))

    def take_samples(self):
        """(senders, steps, values): every multimeter sample (V_m) recorded
        since the last call, in the same order."""
        n = self.lib.bs_take_samples()
        return (self._array(self.lib.bs_taken_senders, n, np.int64),
                self._array(self.lib.bs_taken_steps, n, np.int64),
                self._array(self.lib.bs_taken_values, n, np.float64))


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
        reader = NativeNest(lib, ctypes.PyDLL(path))
        reader.take()  # drop anything left from an earlier network
        return reader
    except Exception as e:  # any failure: the Python path still works
        print(f"brainstream_client: NEST's spikes through its memory backend ({e}; "
              "the native reader needs g++ and the Boost and libltdl headers: "
              "apt-get install g++ libboost-dev libltdl-dev)", file=sys.stderr, flush=True)
        return None
