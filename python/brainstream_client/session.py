"""The external side of a brainstream session, to the runtime's `external`
actor: a Unix stream socket when brainstream started this process
(`$BRAINSTREAM_ENDPOINT` = `unix:PATH`; each message as a 4-byte
little-endian length, then the message), one ZeroMQ PAIR socket otherwise
(`endpoint`, e.g. `tcp://...`; a message per ZeroMQ frame).

    runtime  -> hello (JSON: dt, window, regions, populations, config, ...)
    external -> hello (JSON: regions, populations, ports it serves)
    per window:
      runtime  -> meta/series/spikes for each input port that has data, then a tick
      external -> series/spikes for each output port, then a tick
    runtime  -> end;  external -> end (acknowledgement), then exits

Every wait watches the runtime: a closed connection (end of stream; on
ZeroMQ, heartbeats at 1 s interval, 3 s timeout) or, when the runtime
started this process, the death of the parent ends the session with
SessionError instead of a hang. The stream has no I/O thread: a message
waits in the kernel until this process reads it, so nothing wakes up
beside the simulator while it runs.
"""

import os
import select
import socket
import struct
import time
import traceback
from dataclasses import dataclass, field

import zmq

from . import wire

INPUT_PORTS = ("spikes_in", "rates_in", "current_in")
OUTPUT_PORTS = ("spikes", "rates", "v_m", "control")
POLL_MS = 200
# what a native window loop (Session.run's `native`) returns
NATIVE_HANDED_BACK, NATIVE_IDLE, NATIVE_FAILED = 0, 1, 2


def _framed(frames):
    """Messages as the stream carries them: each a u32 LE length, then it."""
    return b"".join(struct.pack("<I", len(f)) + bytes(f) for f in frames)


class SessionError(Exception):
    """The session cannot go on (runtime gone, protocol violated)."""


@dataclass
class Window:
    """Steps `start_step .. start_step + n_steps` (times `start_ms` to
    `end_ms`), with the inputs that arrived for it, by port name."""

    index: int
    start_step: int
    n_steps: int
    dt_ms: float
    inputs: dict = field(default_factory=dict)

    @property
    def start_ms(self):
        return self.start_step * self.dt_ms

    @property
    def end_ms(self):
        return (self.start_step + self.n_steps) * self.dt_ms


class Session:
    """Connects to the runtime (`$BRAINSTREAM_ENDPOINT`, set when brainstream
    starts this process), or listens on `endpoint` (`listen=True`) for a
    graph whose external actor has `endpoint = ...`, and reads the
    runtime's hello: `dt_ms`, `window_steps`, `total_steps`, `seed`,
    `regions`, `populations` [(name, size)], `config` (the actor's `config`
    table) are then attributes."""

    def __init__(self, endpoint=None, listen=False, hello_timeout_s=None):
        from_env = endpoint is None
        endpoint = endpoint or os.environ.get("BRAINSTREAM_ENDPOINT")
        if not endpoint:
            raise SessionError(
                "no endpoint: this script is meant to be started by brainstream (an `external` "
                "actor's `command`), which sets BRAINSTREAM_ENDPOINT; or pass endpoint=... "
                "with listen=True")
        self.endpoint = endpoint
        self._parent = os.getppid() if from_env else None
        self._meta = {}
        self._accepted = None
        self._stream = None
        if endpoint.startswith("unix:"):
            if listen:
                raise SessionError("listen=True needs a ZeroMQ endpoint (tcp://... or ipc://...)")
            self._stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self._stream.connect(endpoint[len("unix:"):])
            except OSError as e:
                raise SessionError(f"cannot connect to brainstream at {endpoint}: {e}") from e
            self._buf = bytearray()
            self._pos = 0
        else:
            self._open_zmq(endpoint, listen)
        h = self._expect_hello(hello_timeout_s)
        self.hello = h
        self.actor = h["actor"]
        self.dt_ms = float(h["dt_ms"])
        self.window_steps = int(h["window_steps"])
        self.total_steps = int(h["total_steps"])
        self.seed = int(h["seed"])
        self.regions = list(h["regions"])
        self.populations = [(p["name"], int(p["size"])) for p in h["populations"]]
        self.config = h.get("config") or {}

    def _open_zmq(self, endpoint, listen):
        self._ctx = zmq.Context()
        s = self._ctx.socket(zmq.PAIR)
        s.setsockopt(zmq.LINGER, 2000)
        s.setsockopt(zmq.HEARTBEAT_IVL, 1000)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
        s.setsockopt(zmq.HEARTBEAT_TTL, 3000)
        s.setsockopt(zmq.MAXMSGSIZE, wire.MAX_PAYLOAD + 64)
        self._monitor = s.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        if listen:
            s.bind(endpoint)
        else:
            s.connect(endpoint)
        self._sock = s
        self._poller = zmq.Poller()
        self._poller.register(s, zmq.POLLIN)

    # -- receiving ---------------------------------------------------------

    def _gone(self):
        if self._parent is not None and os.getppid() != self._parent:
            return "brainstream (the parent process) has exited"
        if self._stream is not None:
            return None
        try:
            while True:
                ev = self._monitor.recv_multipart(zmq.NOBLOCK)
                if ev and len(ev[0]) >= 2 and int.from_bytes(ev[0][:2], "little") == zmq.EVENT_DISCONNECTED:
                    return "the connection to brainstream closed"
        except zmq.Again:
            pass
        return None

    def _recv(self, timeout_s=None):
        if self._stream is not None:
            return self._recv_stream(timeout_s)
        t0 = time.monotonic()
        try:
            # the rest of a multipart message, or what is already there
            return self._sock.recv(zmq.NOBLOCK)
        except zmq.Again:
            pass
        while True:
            if self._poller.poll(POLL_MS):
                return self._sock.recv(copy=True)
            why = self._gone()
            if why:
                raise SessionError(why)
            if timeout_s is not None and time.monotonic() - t0 > timeout_s:
                raise SessionError(f"nothing from brainstream within {timeout_s} s")

    def _recv_stream(self, timeout_s):
        """The next length-prefixed message of the stream."""
        t0 = time.monotonic()
        buf, s = self._buf, self._stream
        while True:
            have = len(buf) - self._pos
            if have >= 4:
                n = int.from_bytes(buf[self._pos:self._pos + 4], "little")
                if n > wire.MAX_PAYLOAD + wire.HEADER.size:
                    raise SessionError(f"a message of {n} bytes announced: not brainstream, or a "
                                       "corrupted stream")
                if have >= 4 + n:
                    m = bytes(buf[self._pos + 4:self._pos + 4 + n])
                    self._pos += 4 + n
                    if self._pos == len(buf):
                        del buf[:]
                        self._pos = 0
                    return m
            if self._pos:
                del buf[:self._pos]
                self._pos = 0
            try:
                # usually there already: the runtime sends ahead
                chunk = s.recv(1 << 16, socket.MSG_DONTWAIT)
            except BlockingIOError:
                chunk = None
            except OSError as e:
                raise SessionError(f"the connection to brainstream broke ({e})") from e
            if chunk is None:
                if not select.select([s], [], [], POLL_MS / 1000)[0]:
                    why = self._gone()
                    if why:
                        raise SessionError(why)
                    if timeout_s is not None and time.monotonic() - t0 > timeout_s:
                        raise SessionError(f"nothing from brainstream within {timeout_s} s")
                continue
            if not chunk:
                raise SessionError("the connection to brainstream closed")
            buf += chunk

    def _expect_hello(self, timeout_s):
        h, body = wire.decode(self._recv(timeout_s))
        if h.kind == wire.ERROR:
            raise SessionError(f"brainstream refused: {body}")
        if h.kind != wire.HELLO or body.get("role") != "brainstream":
            raise SessionError("expected brainstream's hello first")
        if body.get("protocol") != wire.PROTOCOL_VERSION:
            raise SessionError(f"brainstream speaks protocol {body.get('protocol')}, "
                               f"this client {wire.PROTOCOL_VERSION}")
        return body

    # -- sending -----------------------------------------------------------

    def _send(self, b):
        self._send_frames([b])

    def _send_frames(self, frames):
        """One (multipart) message, waiting while the runtime lives."""
        if self._stream is not None:
            try:
                # blocking: a runtime that dies closes the socket (an error
                # here), one that hangs stops this process by its timeout
                self._stream.sendall(_framed(frames))
            except OSError as e:
                raise SessionError(self._gone() or f"the connection to brainstream broke ({e})") from e
            return
        while True:
            try:
                self._sock.send_multipart(frames, zmq.NOBLOCK, copy=sum(map(len, frames)) < 65536)
                return
            except zmq.Again:
                pass
            if not self._sock.poll(POLL_MS, zmq.POLLOUT):
                why = self._gone()
                if why:
                    raise SessionError(why)

    def accept(self, inputs, outputs, peer="", regions=None, populations=None):
        """Answers the hello: the ports this side serves (names from
        INPUT_PORTS / OUTPUT_PORTS) and, to be checked by the runtime, the
        regions and populations it simulates (default: those asked)."""
        for p in inputs:
            if p not in INPUT_PORTS:
                raise SessionError(f"unknown input port {p!r} (known: {INPUT_PORTS})")
        for p in outputs:
            if p not in OUTPUT_PORTS:
                raise SessionError(f"unknown output port {p!r} (known: {OUTPUT_PORTS})")
        regions = list(self.regions if regions is None else regions)
        populations = self.populations if populations is None else populations
        self._accepted = (list(inputs), list(outputs))
        self._send(wire.encode_json(wire.HELLO, wire.SESSION_EDGE, {
            "protocol": wire.PROTOCOL_VERSION,
            "role": "external",
            "peer": peer or "brainstream_client",
            "regions": regions,
            "populations": [{"name": n, "size": int(s)} for n, s in populations],
            "inputs": list(inputs),
            "outputs": list(outputs),
        }))

    def fail(self, text):
        """Tells the runtime this side failed (it stops the run showing `text`)."""
        b = wire.encode_text(wire.ERROR, wire.SESSION_EDGE, text)
        if self._stream is not None:
            try:
                self._stream.settimeout(1.0)
                self._stream.sendall(_framed([b]))
            except OSError:
                pass
            return
        try:
            self._sock.send(b, zmq.NOBLOCK)
            time.sleep(0.2)
        except zmq.ZMQError:
            pass

    # -- the window loop ---------------------------------------------------

    def stream_fd(self):
        """The stream socket's file descriptor (None on ZeroMQ), for a native
        window loop."""
        return None if self._stream is None else self._stream.fileno()

    def windows(self, native=None):
        """Yields each Window with its inputs; after handling one, call
        `reply(window, outputs)` before taking the next. Ends after the
        runtime's end (acknowledged).

        `native(pending, meta) -> (code, leftover, why)`, on the stream only,
        serves windows itself (reading the socket and answering) from a
        window's first message on, given the bytes read but not consumed
        and the names of the series ports so far ({edge: meta}), until it
        meets something it leaves to Python: NATIVE_HANDED_BACK (read the
        next message here), NATIVE_IDLE (nothing came for a while),
        NATIVE_FAILED (`why`)."""
        if self._accepted is None:
            raise SessionError("accept() the hello before the windows")
        if self._stream is None:
            native = None
        inputs = {}
        while True:
            if native is not None and not inputs:
                code, left, why = native(bytes(self._buf[self._pos:]), self._meta)
                self._buf, self._pos = bytearray(left), 0
                if code == NATIVE_IDLE:
                    why = self._gone()
                    if why:
                        raise SessionError(why)
                    continue
                if code == NATIVE_FAILED:
                    raise SessionError(self._gone() or why)
            b = self._recv()
            h = wire.parse_header(b)
            h, body = wire.decode(b, self._meta.get(h.edge))
            if h.kind == wire.META:
                self._meta[h.edge] = body
            elif h.kind in (wire.SERIES, wire.SPIKES):
                if h.edge >= len(INPUT_PORTS):
                    raise SessionError(f"a window on unknown input edge {h.edge}")
                inputs[INPUT_PORTS[h.edge]] = body
            elif h.kind == wire.EMPTY and h.edge == wire.SESSION_EDGE:
                yield Window(h.window, h.start_step, h.dims[0], self.dt_ms, inputs)
                inputs = {}
            elif h.kind == wire.EMPTY:
                pass
            elif h.kind == wire.END:
                self._send(wire.encode_end(h.window))
                self.close()
                return
            elif h.kind == wire.ERROR:
                raise SessionError(f"brainstream failed: {body}")
            else:
                raise SessionError(f"unexpected message kind {h.kind} on edge {h.edge}")

    def reply(self, window, outputs):
        """Sends the window's outputs ({port: Series | Spikes}), then the
        tick, as one multipart message (one wake-up of the runtime)."""
        frames = []
        for port, value in outputs.items():
            k = OUTPUT_PORTS.index(port)
            if isinstance(value, wire.Spikes):
                frames.append(wire.encode_spikes(k, window.index, window.start_step,
                                                 value.stamps, value.times_ms, value.senders))
            else:
                frames.append(wire.encode_series(k, window.index, value.stamps, value.times_ms,
                                                 value.data))
        frames.append(wire.encode_tick(window.index, window.start_step, window.n_steps))
        self._send_frames(frames)

    def close(self):
        """Closes the socket (its monitor first: libzmq sends monitor events
        with a blocking send, which must not outlive the monitor)."""
        if self._stream is not None:
            self._stream.close()
            return
        try:
            self._sock.disable_monitor()
        except zmq.ZMQError:
            pass
        self._monitor.close(0)
        self._sock.close(linger=2000)
        self._ctx.term()

    def run(self, step, peer="", native=None):
        """Serves every window with `step(window) -> outputs` (or `native`:
        see `windows`); any exception is reported to the runtime (with its
        traceback) and re-raised."""
        try:
            for w in self.windows(native):
                self.reply(w, step(w))
        except SessionError:
            raise
        except BaseException:
            self.fail(f"{peer or 'external side'}: " + traceback.format_exc(limit=8))
            raise
