"""brainstream's wire format, version 1 (docs/protocol.md), for the
external side.

A message is a 64-byte little-endian header followed by its payload:

    offset size field
    0      4    magic b"BSWF"
    4      2    version (1)
    6      1    kind: 1 hello, 2 series, 3 spikes, 4 end, 5 error, 6 empty/tick, 7 series meta
    7      1    dtype: 0 none, 1 float64 values, 2 spike events, 3 UTF-8
    8      4    flags (0)
    12     4    edge: the port index (0xFFFFFFFF: the session itself, e.g. a tick)
    16     8    window index
    24     8    first step of the window (series: first stamp)
    32     12   dims: series (samples, variables, nodes); spikes (events, 0, 0); tick (steps, 0, 0)
    44     8    payload length, bytes
    52     12   reserved, zero

Series payload: stamps u64[S], times f64[S], values f64[S*V*N] (sample,
variable, node order). Spike payload: stamps u64[E], times f64[E],
senders u32[E].
"""

import json
import struct
from dataclasses import dataclass, field

import numpy as np

PROTOCOL_VERSION = 1
MAGIC = b"BSWF"
HEADER = struct.Struct("<4sHBBIIQQIIIQ12s")
assert HEADER.size == 64

HELLO, SERIES, SPIKES, END, ERROR, EMPTY, META = 1, 2, 3, 4, 5, 6, 7
SESSION_EDGE = 0xFFFFFFFF
MAX_PAYLOAD = 1 << 30


class WireError(Exception):
    """A message that cannot be taken."""


@dataclass
class Series:
    """A window of samples: `data[sample, variable, node]`, the value at
    time `stamp * dt`. `units` has one unit per variable (e.g. kHz, kHz, pA
    for AdEx's E, I, W_e); `unit` is the one they share ("" when they
    differ)."""

    stamps: np.ndarray
    times_ms: np.ndarray
    data: np.ndarray
    variables: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    unit: str = ""
    units: list = field(default_factory=list)


@dataclass
class Spikes:
    """A window of spike events: spike `i` of `senders[i]` occurred in step
    `stamps[i]`, at `times_ms[i]`."""

    stamps: np.ndarray
    times_ms: np.ndarray
    senders: np.ndarray

    @staticmethod
    def empty():
        return Spikes(np.zeros(0, np.uint64), np.zeros(0), np.zeros(0, np.uint32))


@dataclass
class Header:
    kind: int
    dtype: int
    edge: int
    window: int
    start_step: int
    dims: tuple
    payload_len: int


def header(kind, dtype, edge, window, start_step, dims, payload_len):
    d = [int(x) for x in dims]
    return HEADER.pack(MAGIC, PROTOCOL_VERSION, kind, dtype, 0, edge, window, start_step,
                       d[0], d[1], d[2], payload_len, b"\0" * 12)


def parse_header(b):
    if len(b) < 64:
        raise WireError(f"{len(b)} bytes, shorter than the 64-byte header")
    magic, version, kind, dtype, flags, edge, window, start, d0, d1, d2, plen, res = HEADER.unpack_from(b)
    if magic != MAGIC:
        raise WireError(f"bad magic {magic!r} (not a brainstream message)")
    if version != PROTOCOL_VERSION:
        raise WireError(f"protocol version {version}, this client speaks {PROTOCOL_VERSION}; "
                        "install the client of the brainstream you run (pip install ./python)")
    if kind not in (HELLO, SERIES, SPIKES, END, ERROR, EMPTY, META):
        raise WireError(f"unknown message kind {kind}")
    if flags != 0 or res != b"\0" * 12:
        raise WireError("unknown flags or non-zero reserved bytes")
    if plen != len(b) - 64:
        raise WireError(f"the header announces {plen} payload bytes, {len(b) - 64} arrived")
    if plen > MAX_PAYLOAD:
        raise WireError(f"a payload of {plen} bytes exceeds the limit")
    return Header(kind, dtype, edge, window, start, (d0, d1, d2), plen)


def encode_json(kind, edge, obj):
    body = json.dumps(obj).encode()
    return header(kind, 3, edge, 0, 0, (0, 0, 0), len(body)) + body


def encode_text(kind, edge, text):
    body = text.encode("utf-8", "replace")
    return header(kind, 3, edge, 0, 0, (0, 0, 0), len(body)) + body


def encode_tick(window, start_step, n_steps):
    return header(EMPTY, 0, SESSION_EDGE, window, start_step, (n_steps, 0, 0), 0)


def encode_end(window):
    return header(END, 0, SESSION_EDGE, window, 0, (0, 0, 0), 0)


def encode_series(edge, window, stamps, times_ms, data):
    stamps = np.ascontiguousarray(stamps, dtype="<u8")
    times_ms = np.ascontiguousarray(times_ms, dtype="<f8")
    data = np.ascontiguousarray(data, dtype="<f8")
    s, v, n = data.shape
    if len(stamps) != s or len(times_ms) != s:
        raise ValueError("stamps, times and samples differ in length")
    start = int(stamps[0]) if s else 0
    body = stamps.tobytes() + times_ms.tobytes() + data.tobytes()
    return header(SERIES, 1, edge, window, start, (s, v, n), len(body)) + body


def encode_spikes(edge, window, start_step, stamps, times_ms, senders):
    stamps = np.ascontiguousarray(stamps, dtype="<u8")
    times_ms = np.ascontiguousarray(times_ms, dtype="<f8")
    senders = np.ascontiguousarray(senders, dtype="<u4")
    e = len(senders)
    if len(stamps) != e or len(times_ms) != e:
        raise ValueError("stamps, times and senders differ in length")
    body = stamps.tobytes() + times_ms.tobytes() + senders.tobytes()
    return header(SPIKES, 2, edge, window, start_step, (e, 0, 0), len(body)) + body


def decode(b, meta=None):
    """(header, body): body is a dict for hello/meta, a str for errors, a
    Series or Spikes for windows, None otherwise. `meta` (variables, nodes,
    unit, units) names a series port's axes."""
    h = parse_header(b)
    p = memoryview(b)[64:]
    if h.kind in (HELLO, META, ERROR):
        if h.dtype != 3:
            raise WireError(f"text message with dtype {h.dtype}")
        text = bytes(p).decode("utf-8")
        if h.kind == ERROR:
            return h, text
        return h, json.loads(text)
    if h.kind in (END, EMPTY):
        if h.payload_len:
            raise WireError("an end or empty message carries no payload")
        return h, None
    if h.kind == SERIES:
        s, v, n = h.dims
        if h.dtype != 1 or h.payload_len != s * 16 + s * v * n * 8:
            raise WireError(f"series dims {h.dims} do not match {h.payload_len} payload bytes")
        if meta is None:
            raise WireError("a series before its names (meta message)")
        if (len(meta["variables"]), len(meta["nodes"])) != (v, n):
            raise WireError(f"a window of {v} variables x {n} nodes, the port has "
                            f"{len(meta['variables'])} x {len(meta['nodes'])}")
        stamps = np.frombuffer(p[: 8 * s], dtype="<u8")
        times = np.frombuffer(p[8 * s: 16 * s], dtype="<f8")
        data = np.frombuffer(p[16 * s:], dtype="<f8").reshape(s, v, n)
        unit = meta.get("unit", "")
        # one unit per variable; a peer that sends only `unit` gives it to all
        units = [str(u) for u in meta.get("units", [unit] * v)]
        if len(units) != v:
            raise WireError(f"{len(units)} units for a window of {v} variables")
        return h, Series(stamps, times, data, meta["variables"], meta["nodes"], unit, units)
    # spikes
    e = h.dims[0]
    if h.dtype != 2 or h.dims[1] or h.dims[2] or h.payload_len != 20 * e:
        raise WireError(f"spike dims {h.dims} do not match {h.payload_len} payload bytes")
    stamps = np.frombuffer(p[: 8 * e], dtype="<u8")
    times = np.frombuffer(p[8 * e: 16 * e], dtype="<f8")
    senders = np.frombuffer(p[16 * e:], dtype="<u4")
    return h, Spikes(stamps, times, senders)
