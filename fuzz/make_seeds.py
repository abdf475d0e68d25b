#!/usr/bin/env python3
"""Writes the committed seed inputs of the fuzz targets (fuzz/seeds/<target>/):
a few small valid inputs per target, in each target's input format (see the
doc comment of fuzz_targets/<target>.rs). Run from the repository root:
    python3 fuzz/make_seeds.py
Needs h5py for the HDF5 seeds. The fuzzer's own corpus (fuzz/corpus/) is
not committed."""

import io
import json
import os
import struct
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
HDR = struct.Struct("<4sHBBIIQQIIIQ12s")
SESSION = 0xFFFFFFFF


def header(kind, dtype, edge, window, start, dims, plen):
    return HDR.pack(b"BSWF", 1, kind, dtype, 0, edge, window, start, *dims, plen, b"\0" * 12)


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- wire_decode: one message of each kind (series of 2 variables x 3 nodes)
def series(edge, window, start, n):
    stamps = b"".join(struct.pack("<Q", start + k) for k in range(n))
    times = b"".join(struct.pack("<d", (start + k) * 0.1) for k in range(n))
    vals = b"".join(struct.pack("<d", 0.5 * k) for k in range(n * 6))
    body = stamps + times + vals
    return header(2, 1, edge, window, start, (n, 2, 3), len(body)) + body


def spikes(edge, window, start, ev):
    body = b"".join(struct.pack("<Q", s) for s, _ in ev)
    body += b"".join(struct.pack("<d", s * 0.1) for s, _ in ev)
    body += b"".join(struct.pack("<I", n) for _, n in ev)
    return header(3, 2, edge, window, start, (len(ev), 0, 0), len(body)) + body


def text(kind, edge, s):
    b = s.encode()
    return header(kind, 3, edge, 0, 0, (0, 0, 0), len(b)) + b


put("wire_decode", "series", series(0, 2, 20, 3))
put("wire_decode", "spikes", spikes(1, 1, 10, [(10, 3), (12, 0), (19, 7)]))
put("wire_decode", "end", header(4, 0, 0, 9, 0, (0, 0, 0), 0))
put("wire_decode", "empty", header(6, 0, 0, 4, 0, (0, 0, 0), 0))
put("wire_decode", "error", text(5, 0, "peer died"))
put("wire_decode", "meta", text(7, 0, json.dumps({"variables": ["E", "I"], "nodes": ["r0", "r1", "r2"], "unit": "kHz"})))
put("wire_decode", "hello", text(1, 0, json.dumps({
    "protocol": 1, "graph_hash": "ab12", "dt_ms": 0.1, "window_steps": 10,
    "edge": "a.out->b.in", "port_type": "series", "variables": ["E", "I"],
    "nodes": ["r0", "r1", "r2"], "unit": "", "peer": "seed"})))

# --- external_handshake: the answers a client sends
put("external_handshake", "hello", text(1, SESSION, json.dumps({
    "protocol": 1, "role": "external", "peer": "brainstream_client (NEST 3.10.0)",
    "regions": ["rM1", "lM1"], "populations": [{"name": "E", "size": 80}, {"name": "I", "size": 20}],
    "inputs": ["spikes_in", "rates_in"], "outputs": ["spikes", "rates", "v_m"]})))
put("external_handshake", "refusal", text(5, SESSION, "Traceback (most recent call last):\n  nest: no such model\n"))
put("external_handshake", "tick", header(6, 0, SESSION, 0, 0, (10, 0, 0), 0))

# --- graph_parse: selector byte (even TOML, odd JSON), text, NUL, overrides
TOML = b"""[simulation]
dt_ms = 0.1
duration_ms = 20.0
seed = 42

[actors.brain]
kind = "mean_field"
model = "ReducedWongWang"
coupling_params = { a = 0.0042, b = 0.0 }
variables = ["S"]

[actors.raw]
kind = "hdf5_recorder"

[[edges]]
from = "brain.state"
to = "raw.input"
delay_ms = 1.0
"""
put("graph_parse", "toml", b"\0" + TOML)
put("graph_parse", "toml_set", b"\0" + TOML + b"\0simulation.duration_ms=50\nactors.brain.model_params.J_N=0.3\nedges.0.delay_ms=2\n")
JSON = json.dumps({
    "simulation": {"dt_ms": 0.1, "duration_ms": 10.0, "seed": 1, "scheme": "serial"},
    "actors": {"src": {"kind": "linear_ode", "n_nodes": 3}, "rec": {"kind": "hdf5_recorder", "file": "x.h5"}},
    "edges": [{"from": "src.state", "to": "rec.input", "transport": "zmq", "process": None}],
}).encode()
put("graph_parse", "json", b"\1" + JSON)
put("graph_parse", "json_set", b"\1" + JSON + b"\0actors.src.n_nodes=4\n")

# --- connectome: selector (0 zip, 1 csv folder, 2 txt folder), then files
W = "0 1.5 0\n1.5 0 2\n0 2 0\n"
L = "0 10 0\n10 0 20.5\n0 20.5 0\n"
C = "rA 0 0 0\nrB 1 0 0\nrC 0 1 0\n"
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
    f.writestr("weights.txt", W)
    f.writestr("tract_lengths.txt", L)
    f.writestr("centres.txt", C)
put("connectome", "zip", b"\0" + z.getvalue())
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as f:
    f.writestr("weights.txt", W)
    f.writestr("tract_lengths.txt", L)
put("connectome", "zip_stored", b"\0" + z.getvalue())
csv = lambda s: s.replace(" ", ",").encode()
put("connectome", "csv", b"\1" + csv(W) + b"\0" + csv(L) + b"\0" + C.encode())
put("connectome", "txt", b"\2" + W.encode() + b"\0" + L.encode())

# --- connectome_h5
# model and coupling declarations: the built-in ones, as written
DECL = os.path.join(os.path.dirname(ROOT), "..", "models", "decl")
for target, sub in (("model_decl", ""), ("coupling_decl", "couplings")):
    d = os.path.join(DECL, sub)
    for name in sorted(os.listdir(d)):
        if name.endswith(".toml"):
            with open(os.path.join(d, name), "rb") as f:
                put(target, name, f.read())

try:
    import h5py
    import numpy as np
except ImportError:
    print("no h5py: connectome_h5 seeds not written")
else:
    os.makedirs(os.path.join(ROOT, "connectome_h5"), exist_ok=True)
    p = os.path.join(ROOT, "connectome_h5", "c.h5")
    w = np.array([[0, 1.5, 0], [1.5, 0, 2], [0, 2, 0]])
    with h5py.File(p, "w", libver="latest") as f:
        f["weights"] = w
        f["tract_lengths"] = w * 10
        f["centres"] = np.eye(3)
        f["region_labels"] = np.array([b"rA", b"rB", b"rC"])
    p = os.path.join(ROOT, "connectome_h5", "min.h5")
    with h5py.File(p, "w", libver="latest") as f:
        f["weights"] = w
        f["tract_lengths"] = w
