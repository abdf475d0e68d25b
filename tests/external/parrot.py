"""A minimal external network for the runtime's tests, in plain Python with
the client only (no simulator): every region's population `E` relays its
proxy trains — train k of region r makes neuron k of region r's `E` fire
in the same step (a parrot population); the other populations stay silent.
The actor's `config` can make it misbehave, to test the runtime's faults:
  crash_at_window = N   print to stderr and exit with status 3 in window N
  kill_at_window = N    SIGKILL itself in window N
  raise_at_window = N   raise an exception in window N (the client reports it)
  protocol = V          answer the hello with protocol version V
  populations = {..}    announce other populations than the graph's
  stall_at_window = N   stop answering (and stay alive) in window N
  garbage_at_window = N in window N, write raw bytes to the session's
                        stream instead of an answer (and stay alive):
  garbage = "length"    a length prefix over any limit
  garbage = "magic"     a message of plausible length that is not one
  pad_spikes = N        also send N spikes of neuron 0 per window (large
                        answers, to test that big windows both ways flow)
With `--listen ENDPOINT` it waits for a graph whose actor has `endpoint`.
"""

import os
import signal
import sys
import time

import numpy as np

from brainstream_client import Session, Spikes, Series, wire

# started by brainstream (BRAINSTREAM_ENDPOINT), or by hand: --listen ENDPOINT
listen = sys.argv[sys.argv.index("--listen") + 1] if "--listen" in sys.argv else None
s = Session(endpoint=listen, listen=listen is not None)
cfg = s.config
pops = s.populations
if "populations" in cfg:
    pops = [(k, int(v)) for k, v in sorted(cfg["populations"].items())]
if "protocol" in cfg:
    # a hello of another protocol version, written by hand
    body = b'{"protocol": %d}' % int(cfg["protocol"])
    hdr = wire.HEADER.pack(wire.MAGIC, int(cfg["protocol"]), wire.HELLO, 3, 0, wire.SESSION_EDGE,
                           0, 0, 0, 0, 0, len(body), b"\0" * 12)
    s._send(hdr + body)
    time.sleep(5)
    sys.exit(0)
s.accept(["spikes_in"], ["spikes", "rates"], peer="parrot test network", populations=pops)
per_region = sum(n for _, n in s.populations)
names = [n for n, _ in s.populations]
e_first = sum(n for name, n in s.populations if name < "E")
e_size = dict(s.populations)["E"]


def step(w):
    if w.index == cfg.get("crash_at_window", -1):
        print(f"parrot: crashing on purpose in window {w.index} at {time.time():.3f}", file=sys.stderr, flush=True)
        os._exit(3)
    if w.index == cfg.get("kill_at_window", -1):
        print(f"parrot: killing myself on purpose in window {w.index} at {time.time():.3f}", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    if w.index == cfg.get("raise_at_window", -1):
        raise RuntimeError(f"parrot: raising on purpose in window {w.index} at {time.time():.3f}")
    if w.index == cfg.get("stall_at_window", -1):
        time.sleep(3600)
    if w.index == cfg.get("garbage_at_window", -1):
        if cfg.get("garbage") == "length":
            s._stream.sendall(b"\xf0\xff\xff\xff" + b"x" * 100)
        else:
            s._stream.sendall((100).to_bytes(4, "little") + b"NOTBSWF!" + b"\0" * 92)
        time.sleep(3600)
    sp = w.inputs.get("spikes_in", Spikes.empty())
    trains = int(cfg.get("trains_per_region", 100))
    region, k = sp.senders // trains, sp.senders % trains
    keep = k < e_size
    gids = (region * per_region + e_first + k)[keep].astype(np.uint32)
    stamps = sp.stamps[keep].astype(np.uint64)
    counts = np.zeros((w.n_steps, len(names), len(s.regions)))
    np.add.at(counts, ((stamps - w.start_step).astype(np.int64), names.index("E"),
                       region[keep].astype(np.int64)), 1.0)
    sizes = np.array([n for _, n in s.populations], dtype=float)
    rates = counts * 1000.0 / (sizes[None, :, None] * s.dt_ms)
    out_stamps = np.arange(w.start_step + 1, w.start_step + w.n_steps + 1, dtype=np.uint64)
    pad = int(cfg.get("pad_spikes", 0))
    if pad:
        first = np.full(pad, w.start_step, dtype=np.uint64)
        stamps = np.concatenate([first, stamps])
        gids = np.concatenate([np.zeros(pad, dtype=np.uint32), gids])
    return {"spikes": Spikes(stamps, (stamps + 1) * s.dt_ms, gids),
            "rates": Series(out_stamps, out_stamps * s.dt_ms, rates)}


s.run(step, peer="parrot")
