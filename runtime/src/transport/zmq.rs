//! ZeroMQ pipes: one PAIR socket per edge; the consuming side binds, the
//! producing side connects. Send and receive time out every 50 ms so that a
//! failure anywhere stops them; a bounded queue (16 messages) gives the
//! same back-pressure as a channel; the largest message is capped
//! (`ZMQ_MAXMSGSIZE`) before it is read.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::auth::{self, RunKey, Zap};
use super::connector::{Pipe, HANDSHAKE};
use super::ipc;
use super::watch::PeerWatch;
use super::{End, Link};
use crate::edge::{Shared, POLL};
use crate::wire::{self, Limits};

/// The ZeroMQ side of one run in this process: its context, the run key
/// that authenticates edges at endpoints the graph names, and the ZAP
/// handler checking it (started by the first such edge).
pub(crate) struct ZmqRun {
    zap: Mutex<Option<Zap>>,
    key: Result<RunKey, String>,
    ctx: zmq::Context,
}

impl ZmqRun {
    /// `key`: the run key, or why there is none (reported by the first edge
    /// that needs it).
    pub(crate) fn new(key: Result<RunKey, String>) -> Self {
        Self {
            zap: Mutex::new(None),
            key,
            ctx: zmq::Context::new(),
        }
    }

    /// Sets up authentication on `s` for `link` (an endpoint the graph
    /// names): the binding end checks, the connecting end proves.
    fn authenticate(&self, s: &zmq::Socket, link: &Link, end: End) -> Result<(), String> {
        let key = self.key.as_ref().map_err(|why| {
            format!(
                "edge {}: endpoint {} is authenticated with the run key, and {why}",
                link.name, link.endpoint
            )
        })?;
        let domain = auth::domain(link.index);
        let opt = |e: zmq::Error| format!("edge {}: authentication options: {e}", link.name);
        match end {
            End::Consuming => {
                let mut zap = self
                    .zap
                    .lock()
                    .map_err(|_| "ZAP handler poisoned".to_string())?;
                if zap.is_none() {
                    *zap = Some(Zap::start(&self.ctx, key.clone())?);
                }
                if let Some(z) = zap.as_ref() {
                    z.name(domain.clone(), link.name.clone());
                }
                s.set_plain_server(true).map_err(opt)?;
                s.set_zap_domain(&domain).map_err(opt)?;
            }
            End::Producing => {
                let (user, password) = key.credentials(&domain);
                s.set_plain_username(Some(&user)).map_err(opt)?;
                s.set_plain_password(Some(&password)).map_err(opt)?;
            }
        }
        Ok(())
    }
}

impl Drop for ZmqRun {
    fn drop(&mut self) {
        // the handler's socket first: the context waits for every socket
        if let Ok(mut z) = self.zap.lock() {
            z.take();
        }
    }
}

/// One end of an edge: the socket, its watch, and the socket file it bound
/// (`ipc://`), removed when the end closes.
struct ZmqPipe {
    socket: zmq::Socket,
    watch: PeerWatch,
    bound: Option<(PathBuf, (u64, u64))>,
    /// The connecting end: a failed handshake means the peer refused us.
    connecting: Option<String>,
}

impl Drop for ZmqPipe {
    fn drop(&mut self) {
        self.watch.stop(&mut self.socket);
        if let Some((path, id)) = &self.bound {
            let _ = self.socket.unbind(&format!("ipc://{}", path.display()));
            ipc::remove_ours(path, *id);
        }
    }
}

impl ZmqPipe {
    /// An error when the peer refused our handshake (connecting end).
    fn refused(&mut self) -> Option<String> {
        let endpoint = self.connecting.as_ref()?;
        let (_, why) = self.watch.refused()?;
        Some(format!(
            "the peer at {endpoint} refused the connection: {why} — the partitions of a run \
             need the same {} (docs/design.md, Transports)",
            super::auth::RUN_KEY_ENV
        ))
    }
}

const LOST: &str = "the peer's connection closed (its process exited, or its host stopped answering ZeroMQ heartbeats for 3 s)";

impl Pipe for ZmqPipe {
    fn send(&mut self, bytes: &[u8], shared: &Shared) -> Result<(), String> {
        loop {
            match self.socket.send(bytes, 0) {
                Ok(()) => return Ok(()),
                Err(zmq::Error::EAGAIN) => {
                    if shared.abort.load(Ordering::Relaxed) {
                        return Err("aborted".into());
                    }
                    if let Some(e) = self.refused() {
                        return Err(e);
                    }
                    if self.watch.lost() {
                        return Err(LOST.into());
                    }
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    fn recv(
        &mut self,
        shared: &Shared,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<u8>>, String> {
        let t0 = Instant::now();
        loop {
            match self.socket.recv_bytes(0) {
                Ok(b) => return Ok(Some(b)),
                Err(zmq::Error::EAGAIN) => {
                    if shared.abort.load(Ordering::Relaxed)
                        || timeout.is_some_and(|t| t0.elapsed() > t)
                    {
                        return Ok(None);
                    }
                    if let Some(e) = self.refused() {
                        return Err(e);
                    }
                    if self.watch.lost() {
                        // what it sent before it went is still readable
                        return match self.socket.recv_bytes(zmq::DONTWAIT) {
                            Ok(b) => Ok(Some(b)),
                            Err(_) => Err(LOST.into()),
                        };
                    }
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    fn try_recv(&mut self) -> Option<Vec<u8>> {
        self.socket.recv_bytes(zmq::DONTWAIT).ok()
    }

    fn send_now(&mut self, bytes: &[u8]) {
        let _ = self.socket.send(bytes, zmq::DONTWAIT);
    }

    fn abandon(&mut self) {
        // a dead peer must not hold the process at exit (ZeroMQ's context
        // waits for unsent messages as long as the linger time)
        let _ = self.socket.set_linger(200);
    }
}

fn socket(
    ctx: &zmq::Context,
    link: &Link,
    limits: &Limits,
) -> Result<(zmq::Socket, PeerWatch), String> {
    let s = ctx
        .socket(zmq::PAIR)
        .map_err(|e| format!("cannot create a ZeroMQ socket: {e}"))?;
    let ms = POLL.as_millis() as i32;
    s.set_rcvtimeo(ms)
        .and_then(|_| s.set_sndtimeo(ms))
        .and_then(|_| s.set_sndhwm(16))
        .and_then(|_| s.set_rcvhwm(16))
        .and_then(|_| s.set_linger(5000))
        .and_then(|_| s.set_maxmsgsize((limits.max_payload + wire::HEADER_LEN as u64) as i64))
        .map_err(|e| format!("edge {}: socket options: {e}", link.name))?;
    let w =
        PeerWatch::new(ctx, &s).map_err(|e| format!("edge {}: socket monitor: {e}", link.name))?;
    Ok((s, w))
}

/// A pipe for one end of `link`: the consuming end binds, the producing
/// end connects. An `ipc://` path is checked first (`ipc.rs`): the binding
/// end replaces only a stale socket of this user, and makes the new one
/// owner-only; the connecting end waits until a socket of this user with
/// that mode is there. An endpoint the graph names is authenticated
/// (`auth.rs`).
pub(crate) fn open_pipe(
    run: &ZmqRun,
    link: &Link,
    end: End,
    shared: &Shared,
) -> Result<Box<dyn Pipe>, String> {
    let (mut s, mut w) = socket(&run.ctx, link, &Limits::default())?;
    if link.authenticated {
        run.authenticate(&s, link, end)?;
    }
    let path = link.endpoint.strip_prefix("ipc://").map(Path::new);
    let at = |e: String| format!("edge {}: {e}", link.name);
    let mut bound = None;
    let mut connecting = None;
    match end {
        End::Producing => {
            if let Some(p) = path {
                wait_for_socket(p, link, shared)?;
            }
            s.connect(&link.endpoint).map_err(|e| {
                format!(
                    "edge {}: cannot connect to {}: {e}",
                    link.name, link.endpoint
                )
            })?;
            connecting = Some(link.endpoint.clone());
        }
        End::Consuming => {
            if link.authenticated {
                // in the run's private directory only this user can connect
                w.log_refusals(link.name.clone());
            }
            // an ipc socket is bound here, not by libzmq: its bind would
            // first unlink whatever is at the path; ours never replaces
            // anything (and a stale socket of ours was removed just before)
            let mut listener = None;
            if let Some(p) = path {
                if link.authenticated {
                    ipc::check_parent(p).map_err(at)?;
                }
                ipc::clear_for_bind(p).map_err(at)?;
                let (fd, id) = ipc::listen(p).map_err(at)?;
                listener = Some((fd, p, id));
            }
            let given = match listener {
                Some((fd, _, _)) => use_fd(&mut s, fd),
                None => Ok(()),
            };
            if let Err(e) = given.and_then(|_| s.bind(&link.endpoint)) {
                if let Some((fd, p, id)) = listener {
                    // SAFETY: libzmq fails before taking the descriptor, which
                    // is still the listener we opened
                    unsafe { libc::close(fd) };
                    ipc::remove_ours(p, id);
                }
                w.stop(&mut s);
                return Err(format!(
                    "edge {}: cannot bind {}: {e}",
                    link.name, link.endpoint
                ));
            }
            bound = listener.map(|(_, p, id)| (p.to_path_buf(), id));
        }
    }
    Ok(Box::new(ZmqPipe {
        socket: s,
        watch: w,
        bound,
        connecting,
    }))
}

/// Hands libzmq a listening socket of ours (`ZMQ_USE_FD`): it accepts on
/// it and closes it with the ZeroMQ socket.
fn use_fd(s: &mut zmq::Socket, fd: std::os::fd::RawFd) -> Result<(), zmq::Error> {
    let v: libc::c_int = fd;
    // SAFETY: a live socket; the option takes an int, passed by pointer
    // with its size.
    let rc = unsafe {
        zmq_sys::zmq_setsockopt(
            s.as_mut_ptr(),
            zmq_sys::ZMQ_USE_FD as libc::c_int,
            &v as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        // SAFETY: reads libzmq's thread-local errno
        Err(zmq::Error::from_raw(unsafe { zmq_sys::zmq_errno() }))
    }
}

/// Waits until the socket file of an `ipc://` edge is there and safe to
/// connect to (`ipc::ready_to_connect`), the run stops, or the handshake
/// time runs out.
fn wait_for_socket(p: &Path, link: &Link, shared: &Shared) -> Result<(), String> {
    let t0 = Instant::now();
    loop {
        if ipc::ready_to_connect(p).map_err(|e| format!("edge {}: {e}", link.name))? {
            return Ok(());
        }
        if shared.abort.load(Ordering::Relaxed) {
            return Err("aborted".into());
        }
        if t0.elapsed() > HANDSHAKE {
            return Err(format!(
                "edge {}: no owner-only socket of this user appeared at {} within {} s \
                 (is partition `{}` running?)",
                link.name,
                p.display(),
                HANDSHAKE.as_secs(),
                link.to.1
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
