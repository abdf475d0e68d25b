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

use super::hello::{parse_answer, ExternalHello, RuntimeHello, SESSION_EDGE};
use super::process::Proc;
use super::stream::{Stall, StreamLink};

/// Edge index of a window tick: the session's own.
pub(crate) const TICK: u32 = SESSION_EDGE;
/// How often a wait looks at the peer's health.
const POLL_MS: i32 = 100;

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

/// Checks the external side's answering tick of window `window` (steps
/// `start .. start+n`) field by field: the codec has checked magic, version,
/// kind, flags, reserved bytes and the empty payload, the caller the edge
/// and the window; a tick also has dtype 0, the window's first step and
/// dims `(n, 0, 0)`, as the runtime's own [`tick`].
pub(crate) fn check_tick(h: &Header, window: u64, start: u64, n: u64) -> Result<(), ActorError> {
    let dims = [u32::try_from(n).unwrap_or(u32::MAX), 0, 0];
    let bad = |field: &str, got: String, want: String| {
        ActorError::new(format!(
            "the external side's tick of window {window}: header field `{field}` is {got}, expected {want}"
        ))
    };
    if h.dtype != 0 {
        return Err(bad("dtype", h.dtype.to_string(), "0".into()));
    }
    if h.start_step != start {
        return Err(bad(
            "start_step",
            h.start_step.to_string(),
            start.to_string(),
        ));
    }
    if h.dims != dims {
        return Err(bad("dims", format!("{:?}", h.dims), format!("{dims:?}")));
    }
    Ok(())
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
        let hello = ours.to_bytes().map_err(ActorError::new)?;
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
        self.send(&hello)?;
        let Some(b) = self.recv(Some(deadline))? else {
            return Err(no_answer(&self.endpoint));
        };
        parse_answer(&b).map_err(ActorError::new)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    fn ours() -> RuntimeHello {
        RuntimeHello {
            protocol: wire::VERSION,
            role: "brainstream",
            actor: "net".into(),
            dt_ms: 0.1,
            window_steps: 10,
            total_steps: 100,
            seed: 1,
            regions: vec!["rM1".into()],
            populations: vec![],
            inputs: vec!["spikes_in"],
            outputs: vec!["spikes"],
            config: serde_json::Value::Null,
            peer: "test".into(),
        }
    }

    /// A runtime's session on a Unix stream whose peer, after reading the
    /// runtime's hello, writes `stream` (raw bytes: length prefixes and all)
    /// and stays connected; the handshake's result.
    fn handshake_against(stream: Vec<u8>) -> Result<ExternalHello, String> {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Session::listen(dir.path().join("s.sock")).unwrap();
        let path = s.endpoint.trim_start_matches("unix:").to_string();
        let peer = std::thread::spawn(move || {
            let mut c = UnixStream::connect(path).unwrap();
            let mut n = [0u8; 4];
            c.read_exact(&mut n).unwrap();
            let mut hello = vec![0u8; u32::from_le_bytes(n) as usize];
            c.read_exact(&mut hello).unwrap();
            assert_eq!(&hello[..4], b"BSWF");
            c.write_all(&stream).unwrap();
            // stay connected until the runtime has read it
            std::thread::sleep(Duration::from_millis(500));
        });
        let r = s
            .handshake(&ours(), Duration::from_secs(10))
            .map_err(|e| e.to_string());
        peer.join().unwrap();
        r
    }

    fn framed(m: &[u8]) -> Vec<u8> {
        let mut v = (m.len() as u32).to_le_bytes().to_vec();
        v.extend_from_slice(m);
        v
    }

    fn answer(len: u64, body: &[u8]) -> Vec<u8> {
        let mut m = Header {
            kind: Kind::Hello,
            dtype: 3,
            edge: TICK,
            window: 0,
            start_step: 0,
            dims: [0; 3],
            payload_len: len,
        }
        .to_bytes()
        .to_vec();
        m.extend_from_slice(body);
        m
    }

    const BODY: &[u8] = br#"{"protocol": 1, "role": "external", "regions": ["rM1"],
        "populations": [], "inputs": [], "outputs": ["spikes"]}"#;

    #[test]
    fn a_valid_answer_on_the_stream_is_taken() {
        let h = handshake_against(framed(&answer(BODY.len() as u64, BODY))).unwrap();
        assert_eq!(h.outputs, ["spikes"]);
    }

    /// Issue 16, item 5, through the runtime's stream: a hello announcing
    /// 2^62 bytes, and one with bytes in front of a valid body, were taken.
    #[test]
    fn crafted_answers_on_the_stream_are_refused_by_name() {
        let e = handshake_against(framed(&answer(1 << 62, BODY))).unwrap_err();
        assert!(
            e.contains("announces a payload of 4611686018427387904 bytes, over the limit"),
            "{e}"
        );
        let mut front = b"\n\n  ".to_vec();
        front.extend_from_slice(BODY);
        let e = handshake_against(framed(&answer(BODY.len() as u64, &front))).unwrap_err();
        assert!(
            e.contains(&format!(
                "announces {} payload bytes, {} arrived",
                BODY.len(),
                BODY.len() + 4
            )),
            "{e}"
        );
        let mut m = answer(BODY.len() as u64, BODY);
        m[7] = 1; // float64 values
        let e = handshake_against(framed(&m)).unwrap_err();
        assert!(e.contains("header field `dtype` is 1"), "{e}");
        // a stream frame announcing more than any message may be
        let e = handshake_against(b"\xff\xff\xff\xffBSWF".to_vec()).unwrap_err();
        assert!(e.contains("over the limit"), "{e}");
    }

    #[test]
    fn a_tick_is_checked_field_by_field() {
        let h = |b: Vec<u8>| Header::parse("tick", &b).unwrap();
        assert!(check_tick(&h(tick(3, 30, 10)), 3, 30, 10).is_ok());
        let e = check_tick(&h(tick(3, 31, 10)), 3, 30, 10).unwrap_err();
        assert!(
            e.to_string()
                .contains("tick of window 3: header field `start_step` is 31, expected 30"),
            "{e}"
        );
        let e = check_tick(&h(tick(3, 30, 9)), 3, 30, 10).unwrap_err();
        assert!(e.to_string().contains("`dims` is [9, 0, 0]"), "{e}");
        let mut b = tick(3, 30, 10);
        b[7] = 2;
        let e = check_tick(&h(b), 3, 30, 10).unwrap_err();
        assert!(e.to_string().contains("`dtype` is 2"), "{e}");
    }
}
