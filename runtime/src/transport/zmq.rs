//! ZeroMQ connectors: one PAIR socket per edge; the consuming side binds,
//! the producing side connects. Send and receive time out every 50 ms so
//! that a failure anywhere stops them; a bounded send queue (16 messages)
//! gives the same back-pressure as a channel; the largest message is capped
//! (`ZMQ_MAXMSGSIZE`) before it is read.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender};

use super::Link;
use crate::payload::{Payload, SeriesMeta};
use crate::scheduler::{Failure, Msg, Shared, POLL};
use crate::wire::{self, Body, Limits};

/// How long an end waits for the other's handshake.
const HANDSHAKE: Duration = Duration::from_secs(60);

fn fail(shared: &Shared, actor: &str, message: String) {
    shared.fail(Failure {
        actor: actor.to_string(),
        window: 0,
        time_ms: 0.0,
        message,
        secondary: false,
    });
}

fn socket(ctx: &zmq::Context, link: &Link, limits: &Limits) -> Result<zmq::Socket, String> {
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
    Ok(s)
}

/// Sends `bytes`, waiting while the peer's queue is full, until sent or aborted.
fn send(s: &zmq::Socket, bytes: &[u8], shared: &Shared) -> Result<(), String> {
    loop {
        match s.send(bytes, 0) {
            Ok(()) => return Ok(()),
            Err(zmq::Error::EAGAIN) => {
                if shared.abort.load(Ordering::Relaxed) {
                    return Err("aborted".into());
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Receives one message, or None after `timeout` or on abort.
fn recv(
    s: &zmq::Socket,
    shared: &Shared,
    timeout: Option<Duration>,
) -> Result<Option<Vec<u8>>, String> {
    let t0 = Instant::now();
    loop {
        match s.recv_bytes(0) {
            Ok(b) => return Ok(Some(b)),
            Err(zmq::Error::EAGAIN) => {
                if shared.abort.load(Ordering::Relaxed) || timeout.is_some_and(|t| t0.elapsed() > t)
                {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Both ends: send our hello, take theirs, compare.
fn handshake(
    s: &zmq::Socket,
    link: &Link,
    shared: &Shared,
    limits: &Limits,
    far: &(String, String),
) -> Result<(), String> {
    send(s, &wire::encode_hello(link.index, &link.hello), shared)?;
    let Some(b) = recv(s, shared, Some(HANDSHAKE))? else {
        return Err(format!(
            "no handshake from `{}` (partition `{}`) on {} within {} s",
            far.0,
            far.1,
            link.endpoint,
            HANDSHAKE.as_secs()
        ));
    };
    match wire::decode(&link.name, &b, limits, None)
        .map_err(|e| e.to_string())?
        .body
    {
        Body::Hello(h) => link.hello.check(&h).map_err(|e| e.to_string()),
        Body::Error(t) => Err(format!("`{}` (partition `{}`) refused: {t}", far.0, far.1)),
        _ => Err(format!("edge {}: expected a handshake first", link.name)),
    }
}

/// The producing end: windows from `rx` to the socket.
pub(crate) fn sender(ctx: zmq::Context, link: Link, rx: Receiver<Msg>, shared: Arc<Shared>) {
    let limits = Limits::default();
    let me = link.from.0.clone();
    let s = match socket(&ctx, &link, &limits).and_then(|s| {
        s.connect(&link.endpoint).map_err(|e| {
            format!(
                "edge {}: cannot connect to {}: {e}",
                link.name, link.endpoint
            )
        })?;
        Ok(s)
    }) {
        Ok(s) => s,
        Err(e) => return fail(&shared, &me, e),
    };
    if let Err(e) = handshake(&s, &link, &shared, &limits, &link.to) {
        let _ = s.set_linger(0);
        if !shared.abort.load(Ordering::SeqCst) {
            fail(&shared, &me, e);
        }
        return;
    }
    let mut meta: Option<Arc<SeriesMeta>> = None;
    let mut last_window = 0;
    loop {
        // a refusal or failure of the far end arrives as an error message
        if let Ok(b) = s.recv_bytes(zmq::DONTWAIT) {
            if let Ok(wire::Message {
                body: Body::Error(t),
                ..
            }) = wire::decode(&link.name, &b, &limits, None)
            {
                fail(
                    &shared,
                    &link.to.0,
                    format!("partition `{}`: {t}", link.to.1),
                );
                return;
            }
        }
        match rx.recv_timeout(POLL) {
            Ok(m) => {
                last_window = m.window;
                let bytes = match &m.payload {
                    None => wire::encode_empty(link.index, m.window),
                    Some(Payload::Series(sr)) => {
                        if meta.as_ref().is_none_or(|old| **old != *sr.meta) {
                            if let Err(e) =
                                send(&s, &wire::encode_meta(link.index, &sr.meta), &shared)
                            {
                                return stop(&s, &link, &shared, e);
                            }
                            meta = Some(sr.meta.clone());
                        }
                        wire::encode_series(link.index, m.window, sr)
                    }
                    Some(Payload::Spikes(sp)) => wire::encode_spikes(
                        link.index,
                        m.window,
                        sp.stamps.first().copied().unwrap_or(0),
                        sp,
                    ),
                };
                if let Err(e) = send(&s, &bytes, &shared) {
                    return stop(&s, &link, &shared, e);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if shared.abort.load(Ordering::Relaxed) {
                    return stop(&s, &link, &shared, "aborted".into());
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                // the producer finished (or failed: then abort is set)
                if shared.abort.load(Ordering::SeqCst) {
                    return stop(&s, &link, &shared, "aborted".into());
                }
                let _ = send(&s, &wire::encode_end(link.index, last_window + 1), &shared);
                return;
            }
        }
    }
}

/// Tells the far end why this end stops (best effort).
fn stop(s: &zmq::Socket, link: &Link, shared: &Shared, why: String) {
    let text = shared
        .failures
        .lock()
        .ok()
        .and_then(|f| {
            f.iter()
                .find(|f| !f.secondary)
                .map(|f| format!("actor `{}` failed: {}", f.actor, f.message))
        })
        .unwrap_or(why);
    let _ = s.send(wire::encode_error(link.index, &text), zmq::DONTWAIT);
    // a dead peer must not hold the process at exit (ZeroMQ's context waits
    // for unsent messages as long as the linger time)
    let _ = s.set_linger(200);
}

/// The consuming end: windows from the socket to `tx`.
pub(crate) fn receiver(ctx: zmq::Context, link: Link, tx: Sender<Msg>, shared: Arc<Shared>) {
    let limits = Limits::default();
    let me = link.to.0.clone();
    if let Some(path) = link.endpoint.strip_prefix("ipc://") {
        // a socket file left by a crashed run
        let _ = std::fs::remove_file(path);
    }
    let s = match socket(&ctx, &link, &limits).and_then(|s| {
        s.bind(&link.endpoint)
            .map_err(|e| format!("edge {}: cannot bind {}: {e}", link.name, link.endpoint))?;
        Ok(s)
    }) {
        Ok(s) => s,
        Err(e) => return fail(&shared, &me, e),
    };
    if let Err(e) = handshake(&s, &link, &shared, &limits, &link.from) {
        if !shared.abort.load(Ordering::SeqCst) {
            let _ = s.send(wire::encode_error(link.index, &e), zmq::DONTWAIT);
            fail(&shared, &me, e);
        }
        let _ = s.set_linger(200);
        return;
    }
    let mut meta: Option<Arc<SeriesMeta>> = None;
    loop {
        let b = match recv(&s, &shared, None) {
            Ok(Some(b)) => b,
            Ok(None) => return stop(&s, &link, &shared, "aborted".into()),
            Err(e) => return fail(&shared, &me, format!("edge {}: {e}", link.name)),
        };
        let m = match wire::decode(&link.name, &b, &limits, meta.as_ref()) {
            Ok(m) => m,
            Err(e) => {
                let e = e.to_string();
                let _ = s.send(wire::encode_error(link.index, &e), zmq::DONTWAIT);
                let _ = s.set_linger(200);
                return fail(&shared, &me, e);
            }
        };
        let msg = match m.body {
            Body::Window(p) => Msg {
                window: m.header.window,
                payload: Some(p),
            },
            Body::Empty => Msg {
                window: m.header.window,
                payload: None,
            },
            Body::Meta(sm) => {
                meta = Some(Arc::new(sm));
                continue;
            }
            Body::End => return,
            Body::Error(t) => {
                return fail(
                    &shared,
                    &link.from.0,
                    format!("partition `{}`: {t}", link.from.1),
                );
            }
            Body::Hello(_) => {
                return fail(
                    &shared,
                    &me,
                    format!("edge {}: a second handshake", link.name),
                );
            }
        };
        let mut msg = msg;
        loop {
            match tx.send_timeout(msg, POLL) {
                Ok(()) => break,
                Err(SendTimeoutError::Timeout(back)) => {
                    if shared.abort.load(Ordering::Relaxed) {
                        return stop(&s, &link, &shared, "aborted".into());
                    }
                    msg = back;
                }
                // the consumer has finished: the rest is a delayed tail
                Err(SendTimeoutError::Disconnected(_)) => return,
            }
        }
    }
}
