//! Liveness of a ZeroMQ peer. A PAIR socket does not tell its user that the
//! other end went away: a receive just times out, forever. [`PeerWatch`]
//! turns the socket's monitor events into an answer: ZeroMQ heartbeats
//! (ZMTP 3.1 PING/PONG, every second, 3 s without an answer) close a
//! connection whose host vanished, and a closed connection — the peer
//! process exited, was killed, or stopped answering — shows up as a
//! `DISCONNECTED` event. Used by the edges between partitions and by the
//! external actors.
//!
//! A connection that fails ZeroMQ's handshake (bytes that are not ZeroMQ, a
//! stranger refused by the authentication of `auth.rs`, a wrong mechanism)
//! also ends with `DISCONNECTED`, but always after its own
//! `HANDSHAKE_FAILED_*` event (libzmq signals the failure first). So a
//! `DISCONNECTED` counts as the peer's only while there are more of them
//! than failed handshakes: strangers come and go without stopping the
//! run, each failure logged.

use std::sync::atomic::{AtomicU64, Ordering};

/// Heartbeat interval set on watched sockets, ms.
pub const HEARTBEAT_IVL_MS: i32 = 1000;
/// A connection silent this long is closed, ms.
pub const HEARTBEAT_TIMEOUT_MS: i32 = 3000;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Events that end a handshake in failure.
const FAILED: [zmq::SocketEvent; 3] = [
    zmq::SocketEvent::HANDSHAKE_FAILED_NO_DETAIL,
    zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
    zmq::SocketEvent::HANDSHAKE_FAILED_AUTH,
];

/// Watches one socket for a lost peer.
pub struct PeerWatch {
    monitor: zmq::Socket,
    /// Set once the peer's connection was seen, then lost.
    lost: bool,
    /// Connections closed, and handshakes failed, so far.
    disconnected: u64,
    failed: u64,
    /// The last failed handshake: its event and value (errno, ZMTP error
    /// or ZAP status code).
    last_failure: Option<(u16, u32)>,
    /// What to name in the log when a connection fails its handshake.
    label: Option<String>,
}

impl std::fmt::Debug for PeerWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerWatch")
            .field("lost", &self.lost)
            .finish()
    }
}

impl PeerWatch {
    /// Sets heartbeats on `socket` and starts monitoring it. Call before
    /// `bind`/`connect`.
    pub fn new(ctx: &zmq::Context, socket: &zmq::Socket) -> Result<Self, zmq::Error> {
        socket.set_heartbeat_ivl(HEARTBEAT_IVL_MS)?;
        socket.set_heartbeat_timeout(HEARTBEAT_TIMEOUT_MS)?;
        socket.set_heartbeat_ttl(HEARTBEAT_TIMEOUT_MS)?;
        let at = format!(
            "inproc://brainstream-watch-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let events = FAILED
            .iter()
            .fold(zmq::SocketEvent::DISCONNECTED as i32, |a, e| a | *e as i32);
        socket.monitor(&at, events)?;
        let monitor = ctx.socket(zmq::PAIR)?;
        monitor.connect(&at)?;
        Ok(Self {
            monitor,
            lost: false,
            disconnected: 0,
            failed: 0,
            last_failure: None,
            label: None,
        })
    }

    /// Logs every connection that fails its handshake as refused, naming
    /// `label` (a binding socket: the failures are strangers').
    pub fn log_refusals(&mut self, label: impl Into<String>) {
        self.label = Some(label.into());
    }

    /// How many connections failed ZeroMQ's handshake so far, with the last
    /// failure in words (a connecting socket: the peer refused us).
    pub fn refused(&mut self) -> Option<(u64, String)> {
        let _ = self.lost();
        self.last_failure.map(|f| (self.failed, describe(f)))
    }

    /// Stops monitoring `socket`; call it before `socket` is closed (the
    /// owner's `Drop`). libzmq 4.3 sends monitor events from its I/O thread
    /// with a blocking send: an event emitted while a closing socket tears
    /// down, after this watch is gone, would block that thread and with it
    /// every socket of the context, forever.
    pub fn stop(&mut self, socket: &mut zmq::Socket) {
        // SAFETY: `socket` is a live socket (we hold it mutably); a null
        // endpoint with no events is libzmq's documented way to stop its
        // monitor.
        unsafe {
            zmq_sys::zmq_socket_monitor(socket.as_mut_ptr(), std::ptr::null(), 0);
        }
        let _ = self.lost();
    }

    /// Whether the peer's connection has closed (reads pending events;
    /// never blocks). Messages the peer sent before it went are still in
    /// the socket: drain it before concluding.
    pub fn lost(&mut self) -> bool {
        while let Ok(frames) = self.monitor.recv_multipart(zmq::DONTWAIT) {
            let Some(f) = frames.first().filter(|f| f.len() >= 6) else {
                continue;
            };
            let event = u16::from_le_bytes([f[0], f[1]]);
            let value = u32::from_le_bytes([f[2], f[3], f[4], f[5]]);
            if event == zmq::SocketEvent::DISCONNECTED as u16 {
                self.disconnected += 1;
            } else if FAILED.iter().any(|e| *e as u16 == event) {
                self.failed += 1;
                self.last_failure = Some((event, value));
                if let Some(label) = &self.label {
                    let at = frames
                        .get(1)
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .unwrap_or_default();
                    tracing::warn!(edge = %label, endpoint = %at, "refused a connection: {}", describe((event, value)));
                }
            }
        }
        if self.disconnected > self.failed {
            self.lost = true;
        }
        self.lost
    }
}

/// A failed handshake in words.
fn describe((event, value): (u16, u32)) -> String {
    if event == zmq::SocketEvent::HANDSHAKE_FAILED_AUTH as u16 {
        format!("authentication failed (ZAP status {value}: not this run's key)")
    } else if event == zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL as u16 {
        format!("not ZeroMQ as brainstream speaks it (protocol error {value:#x}: garbage, another mechanism, or no run key)")
    } else {
        format!("the connection closed during the handshake (errno {value})")
    }
}
