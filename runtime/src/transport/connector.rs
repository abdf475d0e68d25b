//! The connector protocol, whatever carries the bytes ([`Pipe`]): the
//! handshake, one message per window (a series-meta message before the
//! first series and whenever names change, an empty message for a window
//! without data), the end and its acknowledgement, and error messages both
//! ways, so that a failure on either side stops the other naming it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender};

use super::Link;
use crate::edge::{Failure, Msg, Shared, POLL};
use crate::payload::{Payload, SeriesMeta};
use crate::wire::{self, Body, Limits};

/// How long an end waits for the other's handshake.
pub(crate) const HANDSHAKE: Duration = Duration::from_secs(60);
/// How long a producer waits for the consumer to acknowledge the end.
const ACK: Duration = Duration::from_secs(30);

/// A bidirectional message pipe between the two ends of one edge.
pub(crate) trait Pipe {
    /// Sends one message, waiting while the peer is behind; an error when
    /// the pipe is broken or the run aborts.
    fn send(&mut self, bytes: &[u8], shared: &Shared) -> Result<(), String>;
    /// One message within `timeout` (None: until the run aborts); Ok(None)
    /// on timeout or abort.
    fn recv(
        &mut self,
        shared: &Shared,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<u8>>, String>;
    /// A message if one is there.
    fn try_recv(&mut self) -> Option<Vec<u8>>;
    /// Sends without waiting (on the way out; errors ignored).
    fn send_now(&mut self, bytes: &[u8]);
    /// The peer is gone or failed: do not wait for undelivered messages.
    fn abandon(&mut self) {}
}

pub(crate) fn fail(shared: &Shared, actor: &str, message: String) {
    fail_in(shared, actor, 0, 0.0, message)
}

/// A failure noticed while waiting for window `window` (at `time_ms`).
fn fail_in(shared: &Shared, actor: &str, window: u64, time_ms: f64, message: String) {
    shared.fail(Failure {
        actor: actor.to_string(),
        window,
        time_ms,
        message,
        secondary: false,
    });
}

/// Both ends: send our hello, take theirs, compare.
fn handshake(
    p: &mut dyn Pipe,
    link: &Link,
    shared: &Shared,
    limits: &Limits,
    far: &(String, String),
) -> Result<(), String> {
    p.send(&wire::encode_hello(link.index, &link.hello), shared)?;
    let Some(b) = p.recv(shared, Some(HANDSHAKE))? else {
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

/// Tells the far end why this end stops (best effort).
fn stop(p: &mut dyn Pipe, link: &Link, shared: &Shared, why: String) {
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
    p.send_now(&wire::encode_error(link.index, &text));
    p.abandon();
}

/// The producing end: windows from `rx` into the pipe.
pub(crate) fn sender(p: &mut dyn Pipe, link: &Link, rx: Receiver<Msg>, shared: &Shared) {
    let limits = Limits::default();
    if let Err(e) = handshake(p, link, shared, &limits, &link.to) {
        p.abandon();
        if !shared.abort.load(Ordering::SeqCst) {
            fail(shared, &link.from.0, e);
        }
        return;
    }
    let mut meta: Option<Arc<SeriesMeta>> = None;
    let mut last_window = 0;
    loop {
        // a refusal or failure of the far end arrives as an error message
        if let Some(b) = p.try_recv() {
            if let Ok(wire::Message {
                body: Body::Error(t),
                ..
            }) = wire::decode(&link.name, &b, &limits, None)
            {
                p.abandon();
                fail(
                    shared,
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
                            if let Err(e) = p.send(&wire::encode_meta(link.index, &sr.meta), shared)
                            {
                                return stop(p, link, shared, e);
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
                if let Err(e) = p.send(&bytes, shared) {
                    return stop(p, link, shared, e);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if shared.abort.load(Ordering::Relaxed) {
                    return stop(p, link, shared, "aborted".into());
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                // the producer finished (or failed: then abort is set)
                if shared.abort.load(Ordering::SeqCst) {
                    return stop(p, link, shared, "aborted".into());
                }
                // the consumer acknowledges the end once it has read every
                // window: closing before that could drop the last ones
                if p.send(&wire::encode_end(link.index, last_window + 1), shared)
                    .is_err()
                {
                    return stop(p, link, shared, "aborted".into());
                }
                match p.recv(shared, Some(ACK)) {
                    Ok(Some(b)) => {
                        if let Ok(wire::Message {
                            body: Body::Error(t),
                            ..
                        }) = wire::decode(&link.name, &b, &limits, None)
                        {
                            fail(
                                shared,
                                &link.to.0,
                                format!("partition `{}`: {t}", link.to.1),
                            );
                        }
                    }
                    _ => {
                        if !shared.abort.load(Ordering::SeqCst) {
                            tracing::warn!(edge = %link.name, "no acknowledgement of the end within {} s", ACK.as_secs());
                        }
                    }
                }
                p.abandon();
                return;
            }
        }
    }
}

/// The consuming end: windows from the pipe into `tx`.
pub(crate) fn receiver(p: &mut dyn Pipe, link: &Link, tx: Sender<Msg>, shared: &Shared) {
    let limits = Limits::default();
    let me = link.to.0.clone();
    if let Err(e) = handshake(p, link, shared, &limits, &link.from) {
        if !shared.abort.load(Ordering::SeqCst) {
            p.send_now(&wire::encode_error(link.index, &e));
            fail(shared, &me, e);
        }
        p.abandon();
        return;
    }
    let mut meta: Option<Arc<SeriesMeta>> = None;
    // once the consumer has finished (the tail of a delayed edge is not
    // needed), what still comes is read and dropped until the end
    let mut consumer_done = false;
    // the window awaited, for messages
    let mut next = 0u64;
    loop {
        let b = match p.recv(shared, None) {
            Ok(Some(b)) => b,
            Ok(None) => return stop(p, link, shared, "aborted".into()),
            Err(e) => {
                p.abandon();
                let t = next as f64 * link.hello.window_steps as f64 * link.hello.dt_ms;
                return fail_in(
                    shared,
                    &link.from.0,
                    next,
                    t,
                    format!("partition `{}` lost (edge {}): {e}", link.from.1, link.name),
                );
            }
        };
        let m = match wire::decode(&link.name, &b, &limits, meta.as_ref()) {
            Ok(m) => m,
            Err(e) => {
                let e = e.to_string();
                p.send_now(&wire::encode_error(link.index, &e));
                p.abandon();
                return fail(shared, &me, e);
            }
        };
        if consumer_done && !matches!(m.body, Body::End | Body::Error(_)) {
            continue;
        }
        if matches!(m.body, Body::Window(_) | Body::Empty) {
            next = m.header.window + 1;
        }
        let mut msg = match m.body {
            Body::Window(pl) => Msg {
                window: m.header.window,
                payload: Some(pl),
            },
            Body::Empty => Msg {
                window: m.header.window,
                payload: None,
            },
            Body::Meta(sm) => {
                meta = Some(Arc::new(sm));
                continue;
            }
            Body::End => {
                p.send_now(&wire::encode_end(link.index, m.header.window));
                return;
            }
            Body::Error(t) => {
                p.abandon();
                // the window the far end had not sent yet
                let at = next as f64 * link.hello.window_steps as f64 * link.hello.dt_ms;
                return fail_in(
                    shared,
                    &link.from.0,
                    next,
                    at,
                    format!("partition `{}`: {t}", link.from.1),
                );
            }
            Body::Hello(_) => {
                p.abandon();
                return fail(
                    shared,
                    &me,
                    format!("edge {}: a second handshake", link.name),
                );
            }
        };
        loop {
            match tx.send_timeout(msg, POLL) {
                Ok(()) => break,
                Err(SendTimeoutError::Timeout(back)) => {
                    if shared.abort.load(Ordering::Relaxed) {
                        return stop(p, link, shared, "aborted".into());
                    }
                    msg = back;
                }
                // the consumer has finished: the rest is a delayed tail
                Err(SendTimeoutError::Disconnected(_)) => {
                    consumer_done = true;
                    break;
                }
            }
        }
    }
}
