//! The session's link to a process the runtime started itself: a Unix
//! stream socket carrying the protocol's messages, each as a 4-byte
//! little-endian length and the message (`docs/protocol.md`, "Transport").
//!
//! Why not ZeroMQ here: every ZeroMQ message passes through an I/O thread on
//! each side, so one window's exchange wakes four threads besides the two
//! that work, and in the external process the I/O thread's wake-ups preempt
//! the simulator (NEST's windows ran ~8 % slower beside a ZeroMQ session
//! than alone). On a stream socket a message waits in the kernel until the
//! reader asks for it: the external process has one thread, and a dead peer
//! is an end of stream at once, not a missed heartbeat 3 s later. Sessions
//! with an `endpoint` (another machine, a process started by hand) stay on
//! ZeroMQ.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long one blocking read or write waits before the caller looks at the
/// peer's health again.
const POLL: Duration = Duration::from_millis(100);

/// What a read or write found instead of data.
pub(crate) enum Stall {
    /// Nothing yet: look at the peer, try again.
    Wait,
    /// The peer closed the connection (or it broke).
    Closed(String),
    /// The stream is not usable (a frame over the limit, an I/O error).
    Fatal(String),
}

/// A listening socket, then its one connection.
pub(crate) struct StreamLink {
    path: PathBuf,
    listener: Option<UnixListener>,
    stream: Option<UnixStream>,
    /// Bytes read and not yet returned as messages.
    buf: Vec<u8>,
    /// Largest message accepted (header and payload).
    max_len: usize,
}

impl StreamLink {
    /// Listens at `path` (a file name in the temporary folder).
    pub(crate) fn bind(path: PathBuf, max_len: usize) -> std::io::Result<Self> {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)?;
        listener.set_nonblocking(true)?;
        Ok(Self {
            path,
            listener: Some(listener),
            stream: None,
            buf: Vec::with_capacity(1 << 16),
            max_len,
        })
    }

    /// The endpoint to hand to the external process.
    pub(crate) fn endpoint(&self) -> String {
        format!("unix:{}", self.path.display())
    }

    /// The connection, once the peer has connected; polls for up to `POLL`.
    fn stream(&mut self) -> Result<&mut UnixStream, Stall> {
        if self.stream.is_none() {
            let Some(l) = &self.listener else {
                return Err(Stall::Closed("the connection closed".into()));
            };
            let t0 = Instant::now();
            loop {
                match l.accept() {
                    Ok((s, _)) => {
                        // writes go non-blocking (`send`), reads block up
                        // to POLL at a time
                        let setup = s
                            .set_nonblocking(false)
                            .and_then(|_| s.set_read_timeout(Some(POLL)));
                        if let Err(e) = setup {
                            return Err(Stall::Fatal(format!("socket options: {e}")));
                        }
                        self.stream = Some(s);
                        // one peer per session: no one else may connect
                        self.listener = None;
                        let _ = std::fs::remove_file(&self.path);
                        break;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        if t0.elapsed() >= POLL {
                            return Err(Stall::Wait);
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => return Err(Stall::Fatal(format!("accepting a connection: {e}"))),
                }
            }
        }
        self.stream
            .as_mut()
            .ok_or_else(|| Stall::Closed("the connection closed".into()))
    }

    /// Whether the peer has connected (waits up to `POLL` for it).
    pub(crate) fn connected(&mut self) -> Result<bool, Stall> {
        match self.stream() {
            Ok(_) => Ok(true),
            Err(Stall::Wait) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes `frames` as consecutive messages, in one write when it fits.
    /// While the socket is full it takes in what the peer sends meanwhile
    /// (kept for [`Self::recv`]): a peer blocked writing its own large
    /// window to us would otherwise never read ours, and both would wait
    /// forever. Waits while `alive` says so.
    pub(crate) fn send(
        &mut self,
        frames: &[&[u8]],
        alive: &mut dyn FnMut() -> Option<String>,
    ) -> Result<(), Stall> {
        let total: usize = frames.iter().map(|f| 4 + f.len()).sum();
        let mut out = Vec::with_capacity(total);
        for f in frames {
            let n = u32::try_from(f.len())
                .map_err(|_| Stall::Fatal(format!("a message of {} bytes", f.len())))?;
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(f);
        }
        loop {
            match self.stream() {
                Ok(_) => break,
                Err(Stall::Wait) => {
                    if let Some(why) = alive() {
                        return Err(Stall::Closed(why));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let Some(s) = self.stream.as_mut() else {
            return Err(Stall::Closed("the connection closed".into()));
        };
        let nonblocking = |s: &UnixStream, on: bool| {
            s.set_nonblocking(on)
                .map_err(|e| Stall::Fatal(format!("socket options: {e}")))
        };
        nonblocking(s, true)?;
        let r = write_all_draining(s, &out, &mut self.buf, alive);
        nonblocking(s, false)?;
        r
    }

    /// One message, or why there is none yet (waits up to `POLL`).
    pub(crate) fn recv(&mut self) -> Result<Vec<u8>, Stall> {
        loop {
            if self.buf.len() >= 4 {
                let n = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                    as usize;
                if n > self.max_len {
                    return Err(Stall::Fatal(format!(
                        "a message of {n} bytes announced, over the limit of {} (not a brainstream client, or a corrupted stream)",
                        self.max_len
                    )));
                }
                if self.buf.len() >= 4 + n {
                    let m = self.buf[4..4 + n].to_vec();
                    self.buf.drain(..4 + n);
                    return Ok(m);
                }
            }
            let s = self.stream()?;
            let mut chunk = [0u8; 1 << 16];
            match s.read(&mut chunk) {
                Ok(0) => {
                    return Err(Stall::Closed(if self.buf.is_empty() {
                        "the connection closed".into()
                    } else {
                        format!(
                            "the connection closed in the middle of a message ({} bytes of it came)",
                            self.buf.len()
                        )
                    }))
                }
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Stall::Wait)
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(Stall::Closed(format!("the connection broke ({e})"))),
            }
        }
    }
}

/// Writes `out` to the non-blocking `s`; while it is full, reads what the
/// peer sent into `inbox` and waits (at most `POLL` at a time, asking
/// `alive`) until it can read or write again.
fn write_all_draining(
    s: &mut UnixStream,
    out: &[u8],
    inbox: &mut Vec<u8>,
    alive: &mut dyn FnMut() -> Option<String>,
) -> Result<(), Stall> {
    use std::os::fd::AsRawFd;
    let mut off = 0;
    // only when the socket is full (not on every window's write)
    let mut chunk = Vec::new();
    let mut peer_open = true;
    while off < out.len() {
        match s.write(&out[off..]) {
            Ok(0) => return Err(Stall::Closed("the connection closed".into())),
            Ok(k) => off += k,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                // take in what the peer has sent, then wait for room
                chunk.resize(1 << 16, 0);
                while peer_open {
                    match s.read(&mut chunk) {
                        Ok(0) => peer_open = false,
                        Ok(k) => inbox.extend_from_slice(&chunk[..k]),
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                let mut pfd = libc::pollfd {
                    fd: s.as_raw_fd(),
                    events: libc::POLLOUT | if peer_open { libc::POLLIN } else { 0 },
                    revents: 0,
                };
                // SAFETY: one valid pollfd, for the duration of the call
                let ready = unsafe { libc::poll(&mut pfd, 1, POLL.as_millis() as libc::c_int) };
                if ready == 0 {
                    if let Some(why) = alive() {
                        return Err(Stall::Closed(why));
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Stall::Closed(format!("the connection broke ({e})"))),
        }
    }
    Ok(())
}

impl Drop for StreamLink {
    fn drop(&mut self) {
        if self.listener.is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
