//! The external session protocol (`docs/protocol.md`, "External actors"):
//! the runtime's hello and the external side's answer, then per window the
//! inputs, a tick, the outputs and the answering tick, then the end and its
//! acknowledgement; over a Unix stream socket to a process the runtime
//! started ([`StreamLink`]), over one ZeroMQ PAIR socket to an `endpoint`.
//! Every wait is bounded by the peer's life: the process's exit, or a
//! closed connection (end of stream, or missed heartbeats), ends it with an
//! error naming the cause.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use brainstream_runtime::transport::PeerWatch;
use brainstream_runtime::wire::{self, Body, Header, Kind, Limits, HEADER_LEN};
use brainstream_runtime::{ActorError, SeriesMeta};
use serde::{Deserialize, Serialize};

use super::process::Proc;
use super::stream::{Stall, StreamLink};

/// Edge index of a window tick.
pub(crate) const TICK: u32 = u32::MAX;
/// How often a wait looks at the peer's health.
const POLL_MS: i32 = 100;

/// A population as announced in the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PopDecl {
    pub name: String,
    pub size: u64,
}

/// What the runtime tells the external side.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RuntimeHello {
    pub protocol: u16,
    pub role: &'static str,
    pub actor: String,
    pub dt_ms: f64,
    pub window_steps: u64,
    pub total_steps: u64,
    pub seed: u64,
    pub regions: Vec<String>,
    pub populations: Vec<PopDecl>,
    pub inputs: Vec<&'static str>,
    pub outputs: Vec<&'static str>,
    pub config: serde_json::Value,
    pub peer: String,
}

/// What the external side answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExternalHello {
    pub protocol: u16,
    pub role: String,
    #[serde(default)]
    pub peer: String,
    pub regions: Vec<String>,
    pub populations: Vec<PopDecl>,
    /// Input ports it serves.
    pub inputs: Vec<String>,
    /// Output ports it sends every window.
    pub outputs: Vec<String>,
}

/// The socket under a session.
enum Link {
    /// To a process the runtime started.
    Stream(StreamLink),
    /// To an `endpoint`.
    Zmq {
        sock: zmq::Socket,
        watch: PeerWatch,
        /// Kept alive as long as the socket.
        _ctx: zmq::Context,
    },
}

/// The runtime's end of a session.
pub(crate) struct Session {
    link: Link,
    /// The external process, when the runtime started it.
    pub(crate) proc: Option<Proc>,
    /// Where it is, for messages.
    pub(crate) endpoint: String,
    pub(crate) limits: Limits,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Link::Zmq { sock, watch, .. } = &mut self.link {
            watch.stop(sock);
        }
    }
}

fn hello_bytes(json: &[u8]) -> Vec<u8> {
    let h = Header {
        kind: Kind::Hello,
        dtype: 3,
        edge: TICK,
        window: 0,
        start_step: 0,
        dims: [0; 3],
        payload_len: json.len() as u64,
    };
    let mut v = h.to_bytes().to_vec();
    v.extend_from_slice(json);
    v
}

/// A tick: "window `window` (steps `start .. start+n`)".
pub(crate) fn tick(window: u64, start: u64, n: u64) -> Vec<u8> {
    Header {
        kind: Kind::Empty,
        dtype: 0,
        edge: TICK,
        window,
        start_step: start,
        dims: [u32::try_from(n).unwrap_or(u32::MAX), 0, 0],
        payload_len: 0,
    }
    .to_bytes()
    .to_vec()
}

impl Session {
    /// Listens on a Unix socket at `path` for the process the runtime is
    /// about to start; [`Self::endpoint`] is what to tell it.
    pub(crate) fn listen(path: PathBuf) -> Result<Self, ActorError> {
        let limits = Limits::default();
        let max = limits.max_payload as usize + HEADER_LEN;
        let link = StreamLink::bind(path.clone(), max)
            .map_err(|e| ActorError::new(format!("cannot listen on {}: {e}", path.display())))?;
        Ok(Self {
            endpoint: link.endpoint(),
            link: Link::Stream(link),
            proc: None,
            limits,
        })
    }

    /// Binds (`bind`) or connects to the ZeroMQ `endpoint`.
    pub(crate) fn open(endpoint: &str, bind: bool) -> Result<Self, ActorError> {
        let ctx = zmq::Context::new();
        let e = |what: &str, err: zmq::Error| ActorError::new(format!("{what} {endpoint}: {err}"));
        let sock = ctx
            .socket(zmq::PAIR)
            .map_err(|x| e("cannot create a socket for", x))?;
        let limits = Limits::default();
        sock.set_rcvtimeo(POLL_MS)
            .and_then(|_| sock.set_sndtimeo(POLL_MS))
            .and_then(|_| sock.set_linger(1000))
            .and_then(|_| sock.set_maxmsgsize((limits.max_payload + HEADER_LEN as u64) as i64))
            .map_err(|x| e("socket options for", x))?;
        let watch = PeerWatch::new(&ctx, &sock).map_err(|x| e("cannot monitor", x))?;
        if bind {
            sock.bind(endpoint).map_err(|x| e("cannot bind", x))?;
        } else {
            sock.connect(endpoint)
                .map_err(|x| e("cannot connect to", x))?;
        }
        Ok(Self {
            link: Link::Zmq {
                sock,
                watch,
                _ctx: ctx,
            },
            proc: None,
            endpoint: endpoint.to_string(),
            limits,
        })
    }

    /// Why the peer cannot answer, if it cannot.
    fn gone(&mut self) -> Option<String> {
        if let Some(p) = &mut self.proc {
            if p.exited().is_some() {
                return Some(p.obituary());
            }
        }
        let lost = match &mut self.link {
            Link::Zmq { watch, .. } => watch.lost(),
            Link::Stream(_) => false,
        };
        if lost {
            return Some(match &mut self.proc {
                Some(p) => format!("its connection closed; {}", p.obituary()),
                None => format!(
                    "the connection to {} closed (the external process exited, or stopped answering heartbeats for 3 s)",
                    self.endpoint
                ),
            });
        }
        None
    }

    /// Why a stream link ended: the process's obituary once it has exited
    /// (it is given a moment to, since its socket closes as it exits).
    fn stream_closed(&mut self, why: String) -> String {
        match &mut self.proc {
            Some(p) => {
                let t0 = Instant::now();
                while p.exited().is_none() && t0.elapsed() < Duration::from_secs(2) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if p.exited().is_some() {
                    p.obituary()
                } else {
                    format!("{why}; {}", p.obituary())
                }
            }
            None => format!("{why} ({})", self.endpoint),
        }
    }

    /// Sends one message, waiting while the peer is alive.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), ActorError> {
        self.send_all(&[bytes])
    }

    /// Sends a window's messages together (one write on a stream, one
    /// ZeroMQ multipart message: one wake-up of the peer, not one per
    /// message).
    pub(crate) fn send_all(&mut self, frames: &[&[u8]]) -> Result<(), ActorError> {
        if let Link::Stream(l) = &mut self.link {
            let mut proc = self.proc.take();
            let r = l.send(frames, &mut || {
                proc.as_mut()
                    .and_then(|p| p.exited().is_some().then(|| p.obituary()))
            });
            self.proc = proc;
            return match r {
                Ok(()) => Ok(()),
                // a peer that went may have said why before it went (an
                // error message, still in the stream): the next receive
                // reads it, then the end of the stream, and reports both
                Err(Stall::Closed(why)) => {
                    tracing::debug!(endpoint = %self.endpoint, "send: {why}");
                    Ok(())
                }
                Err(Stall::Fatal(why)) => Err(ActorError::new(format!(
                    "sending to {}: {why}",
                    self.endpoint
                ))),
                // `send` waits itself while the peer lives
                Err(Stall::Wait) => Err(ActorError::new(format!(
                    "sending to {}: the peer is not reading",
                    self.endpoint
                ))),
            };
        }
        for (k, f) in frames.iter().enumerate() {
            let more = if k + 1 < frames.len() {
                zmq::SNDMORE
            } else {
                0
            };
            self.send_flags(f, more)?;
        }
        Ok(())
    }

    fn send_flags(&mut self, bytes: &[u8], flags: i32) -> Result<(), ActorError> {
        loop {
            let Link::Zmq { sock, .. } = &mut self.link else {
                unreachable!("send_flags on a stream link")
            };
            match sock.send(bytes, flags) {
                Ok(()) => return Ok(()),
                Err(zmq::Error::EAGAIN) => {
                    if let Some(why) = self.gone() {
                        return Err(ActorError::new(why));
                    }
                }
                Err(e) => {
                    return Err(ActorError::new(format!(
                        "sending to {}: {e}",
                        self.endpoint
                    )))
                }
            }
        }
    }

    /// One message, within `deadline` if given, while the peer is alive.
    /// `Ok(None)`: `deadline` passed first.
    pub(crate) fn recv(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<Vec<u8>>, ActorError> {
        loop {
            let got = match &mut self.link {
                Link::Stream(l) => match l.recv() {
                    Ok(b) => return Ok(Some(b)),
                    Err(Stall::Wait) => None,
                    Err(Stall::Closed(why)) => {
                        return Err(ActorError::new(self.stream_closed(why)))
                    }
                    Err(Stall::Fatal(why)) => {
                        return Err(ActorError::new(format!(
                            "receiving from {}: {why}",
                            self.endpoint
                        )))
                    }
                },
                Link::Zmq { sock, .. } => match sock.recv_bytes(0) {
                    Ok(b) => return Ok(Some(b)),
                    Err(zmq::Error::EAGAIN) => Some(()),
                    Err(e) => {
                        return Err(ActorError::new(format!(
                            "receiving from {}: {e}",
                            self.endpoint
                        )))
                    }
                },
            };
            if let Some(why) = self.gone() {
                // what it sent before it went is still readable
                if let (Some(()), Link::Zmq { sock, .. }) = (got, &mut self.link) {
                    if let Ok(b) = sock.recv_bytes(zmq::DONTWAIT) {
                        return Ok(Some(b));
                    }
                }
                if let Link::Stream(l) = &mut self.link {
                    if let Ok(b) = l.recv() {
                        return Ok(Some(b));
                    }
                }
                return Err(ActorError::new(why));
            }
            if deadline.is_some_and(|d| Instant::now() > d) {
                return Ok(None);
            }
        }
    }

    /// Sends the runtime's hello and takes the answer within `timeout`.
    pub(crate) fn handshake(
        &mut self,
        ours: &RuntimeHello,
        timeout: Duration,
    ) -> Result<ExternalHello, ActorError> {
        let json = serde_json::to_vec(ours).map_err(ActorError::new)?;
        let deadline = Instant::now() + timeout;
        let no_answer = |endpoint: &str| {
            ActorError::new(format!(
                "no handshake from the external side on {endpoint} within {} s (raise `startup_timeout_s` if building its network takes longer)",
                timeout.as_secs()
            ))
        };
        // a started process connects first (its imports may take seconds)
        while let Link::Stream(l) = &mut self.link {
            match l.connected() {
                Ok(true) => break,
                Ok(false) => {}
                Err(Stall::Closed(why)) | Err(Stall::Fatal(why)) => {
                    return Err(ActorError::new(self.stream_closed(why)))
                }
                Err(Stall::Wait) => {}
            }
            if let Some(why) = self.gone() {
                return Err(ActorError::new(why));
            }
            if Instant::now() > deadline {
                return Err(no_answer(&self.endpoint));
            }
        }
        self.send(&hello_bytes(&json))?;
        let Some(b) = self.recv(Some(deadline))? else {
            return Err(no_answer(&self.endpoint));
        };
        let h = Header::parse("handshake", &b).map_err(|e| match e {
            wire::WireError::Version { got, want, .. } => ActorError::new(format!(
                "the external side speaks protocol version {got}, this build speaks {want}; install the client of this brainstream there (pip install ./python)"
            )),
            e => ActorError::new(format!("the external side's handshake: {e}")),
        })?;
        let body = &b[HEADER_LEN.min(b.len())..];
        match h.kind {
            Kind::Hello => {
                let theirs: ExternalHello = serde_json::from_slice(body).map_err(|e| {
                    ActorError::new(format!("the external side's handshake is not valid: {e}"))
                })?;
                Ok(theirs)
            }
            Kind::Error => Err(ActorError::new(format!(
                "the external side refused: {}",
                String::from_utf8_lossy(body)
            ))),
            k => Err(ActorError::new(format!(
                "expected the external side's handshake, got a {k:?} message"
            ))),
        }
    }

    /// Decodes a message of output port `edge` (named `port`).
    pub(crate) fn decode(
        &self,
        port: &str,
        b: &[u8],
        meta: Option<&Arc<SeriesMeta>>,
    ) -> Result<wire::Message, ActorError> {
        wire::decode(port, b, &self.limits, meta).map_err(ActorError::new)
    }

    /// Ends the session: the end, its acknowledgement within `ack`, the
    /// process's exit within `grace` (then it is killed).
    pub(crate) fn close(&mut self, window: u64, complete: bool, ack: Duration, grace: Duration) {
        let end = wire::encode_end(TICK, window);
        match &mut self.link {
            Link::Zmq { sock, .. } => {
                let _ = sock.send(end.as_slice(), zmq::DONTWAIT);
            }
            Link::Stream(l) => {
                // a peer gone or not reading: nothing to acknowledge
                let _ = l.send(&[end.as_slice()], &mut || Some(String::new()));
            }
        }
        let d = Instant::now() + ack;
        loop {
            match self.recv(Some(d)) {
                Ok(Some(b)) => {
                    if let Ok(m) = wire::decode("end", &b, &self.limits, None) {
                        match m.body {
                            Body::End => break,
                            Body::Error(t) => {
                                tracing::warn!("the external side at its end: {t}");
                                break;
                            }
                            _ => continue,
                        }
                    }
                }
                // a failed run has reported the process's end already
                Ok(None) => {
                    if complete {
                        tracing::warn!(
                            "external session {}: no acknowledgement of the end",
                            self.endpoint
                        );
                    }
                    break;
                }
                Err(e) => {
                    if complete {
                        tracing::warn!("external session {}: {e}", self.endpoint);
                    }
                    break;
                }
            }
        }
        if let Link::Zmq { sock, .. } = &mut self.link {
            let _ = sock.set_linger(0);
        }
        if let Some(p) = &mut self.proc {
            p.stop(grace);
        }
    }
}
