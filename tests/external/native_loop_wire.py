"""The NEST adapter's native window loop (nest_loop.cpp) fed crafted
streams, inside a real NEST, for tests/external.rs: it serves the windows
it knows and hands everything else back to Python untouched — the
window's messages unread — and refuses what NEST cannot take.

Exit 0 and "ok" when every check holds; exit 3 when the native code cannot
be built here (the test then skips, unless CI requires it)."""

import socket
import struct
import sys

import nest
import numpy as np

from brainstream_client import nest_native, wire
from brainstream_client.nest import NestInterface
from brainstream_client.session import _framed

if hasattr(nest, "VerbosityLevel"):
    nest.verbosity = nest.VerbosityLevel.ERROR
nest.ResetKernel()
nest.resolution = 0.1

loop_side, runtime = socket.socketpair()


class Session:
    """What the adapter needs of a session: the stream is one end of a
    socket pair, the test holds the other."""

    actor, dt_ms, window_steps = "net", 0.1, 10
    regions = ["r0", "r1"]
    populations = [("E", 3)]

    def stream_fd(self):
        return loop_side.fileno()


regions = {r: {"E": nest.Create("iaf_psc_alpha", 3)} for r in Session.regions}
iface = NestInterface(Session(), regions,
                      spikes_in={"trains_per_region": 2, "targets": ["E"], "indegree": 1,
                                 "weight": 1000.0, "delay_ms": 0.1},
                      rates_in={"targets": ["E"], "weight": 1.0, "parrots_per_region": 0})
if iface.native is None:
    print("the native code cannot be built here")
    sys.exit(3)
loop = iface._native_loop()
assert loop is not None
iface.windows, iface.sim_s = 0, 0.0
RATES_META = {1: {"variables": ["rate"], "nodes": ["r0", "r1"]}}


def spikes(window, start, stamps, senders):
    stamps = np.asarray(stamps, dtype=np.uint64)
    return wire.encode_spikes(0, window, start, stamps, (stamps + 1) * 0.1,
                              np.asarray(senders, dtype=np.uint32))


def rates(window, start, values):
    values = np.asarray(values, dtype=float).reshape(10, 1, 2)
    stamps = np.arange(start, start + 10, dtype=np.uint64)
    return wire.encode_series(1, window, stamps, stamps * 0.1, values)


def tick(window, start):
    return wire.encode_tick(window, start, 10)


def answers(n):
    """The n messages the loop sent (and no more)."""
    out, buf = [], b""
    while len(out) < n:
        buf += runtime.recv(1 << 16)
        while len(buf) >= 4 and len(buf) >= 4 + struct.unpack_from("<I", buf)[0]:
            k = struct.unpack_from("<I", buf)[0]
            out.append(buf[4:4 + k])
            buf = buf[4 + k:]
    assert not buf, "more than expected"
    return out


def check(name, cond, detail=""):
    if not cond:
        print(f"FAILED: {name} {detail}")
        sys.exit(1)


# 1. two windows served (spikes, then rates with the port's names known),
#    then a message the loop does not take (a series' names): handed back
#    untouched, after the windows
window0 = [spikes(0, 0, [0, 3, 9], [0, 3, 1]), tick(0, 0)]
window1 = [rates(1, 10, np.full(20, 500.0)), tick(1, 10)]
meta = wire.encode_json(wire.META, 2, {"variables": ["I"], "nodes": ["r0", "r1"]})
runtime.sendall(_framed(window0 + window1 + [meta]))
code, left, first, why = loop(b"", RATES_META)
check("served, then handed back", code == nest_native.HANDED_BACK and iface.windows == 2,
      (code, iface.windows, why))
check("the meta left unread", left == _framed([meta]), left[:80])
check("first window timed", first is not None)
sent = [wire.parse_header(m) for m in answers(6)]
for w in range(2):
    s, r, t = sent[3 * w:3 * w + 3]
    check(f"window {w}: spikes, rates, tick", (s.kind, r.kind, t.kind) ==
          (wire.SPIKES, wire.SERIES, wire.EMPTY), (s.kind, r.kind, t.kind))
    check(f"window {w}: rates of 10 steps x 1 population x 2 regions", r.dims == (10, 1, 2), r.dims)
    check(f"window {w}: the tick", (t.window, t.start_step, t.dims[0]) == (w, 10 * w, 10),
          (t.window, t.start_step, t.dims))

# 2. a malformed message within a window: the whole window is handed back,
#    its spikes unread, nothing run
bad = bytearray(tick(2, 20))
bad[:4] = b"XXXX"
pending = _framed([spikes(2, 20, [21], [2]), bytes(bad)])
code, left, _, _ = loop(pending, RATES_META)
check("malformed: handed back", code == nest_native.HANDED_BACK and iface.windows == 2, code)
check("malformed: the window's messages left unread", left == pending)

# 3. half a message and then nothing: idle, the half kept
pending = _framed([spikes(2, 20, [21], [2])])[:-5]
code, left, _, _ = loop(pending, RATES_META)
check("half a message: idle", code == nest_native.IDLE and left == pending, code)

# 4. a series whose dimensions overflow 64 bits to match its payload's
#    length (2 x 2^31 x 2^31 values in 32 bytes), its names saying the
#    same: not taken
h = wire.HEADER.pack(wire.MAGIC, 1, wire.SERIES, 1, 0, 1, 2, 20, 2, 2**31, 2**31, 32, b"\0" * 12)
pending = _framed([h + b"\0" * 32, tick(2, 20)])
iface.native.meta(1, 2**31, 2**31)
code, left, _, _ = loop(pending, {})
check("overflowing dims: handed back", code == nest_native.HANDED_BACK and left == pending, code)

# 5. a sender beyond the proxy trains: refused, naming it
code, left, _, why = loop(_framed([spikes(2, 20, [21], [7]), tick(2, 20)]), RATES_META)
check("sender beyond the trains", code == nest_native.FAILED and
      "sender 7 is not a proxy train (< 4: 2 per region here" in why, (code, why))

# 6. negative rates: refused, naming the window
code, left, _, why = loop(_framed([rates(2, 20, np.full(20, -1.0)), tick(2, 20)]), RATES_META)
check("negative rates", code == nest_native.FAILED and
      why == "rates_in: negative or non-finite values in window 2", (code, why))

# 7. the end: handed back as it came
end = wire.encode_end(2)
code, left, _, _ = loop(_framed([end]), RATES_META)
check("the end: handed back", code == nest_native.HANDED_BACK and left == _framed([end]), code)

iface._finish()
print("ok")
