//! Liveness of a ZeroMQ peer. A PAIR socket does not tell its user that the
//! other end went away: a receive just times out, forever. [`PeerWatch`]
//! turns the socket's monitor events into an answer: ZeroMQ heartbeats
//! (ZMTP 3.1 PING/PONG, every second, 3 s without an answer) close a
//! connection whose host vanished, and a closed connection — the peer
//! process exited, was killed, or stopped answering — shows up as a
//! `DISCONNECTED` event. Used by the edges between partitions and by the
//! external actors.

use std::sync::atomic::{AtomicU64, Ordering};

/// Heartbeat interval set on watched sockets, ms.
pub const HEARTBEAT_IVL_MS: i32 = 1000;
/// A connection silent this long is closed, ms.
pub const HEARTBEAT_TIMEOUT_MS: i32 = 3000;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Watches one socket for a lost peer.
pub struct PeerWatch {
    monitor: zmq::Socket,
    /// Set once the peer's connection was seen, then lost.
    lost: bool,
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
        socket.monitor(&at, zmq::SocketEvent::DISCONNECTED as i32)?;
        let monitor = ctx.socket(zmq::PAIR)?;
        monitor.connect(&at)?;
        Ok(Self {
            monitor,
            lost: false,
        })
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
            if let Some(f) = frames.first() {
                if f.len() >= 2
                    && u16::from_le_bytes([f[0], f[1]]) == zmq::SocketEvent::DISCONNECTED as u16
                {
                    self.lost = true;
                }
            }
        }
        self.lost
    }
}
