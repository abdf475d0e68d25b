//! ZeroMQ pipes: one PAIR socket per edge; the consuming side binds, the
//! producing side connects. Send and receive time out every 50 ms so that a
//! failure anywhere stops them; a bounded queue (16 messages) gives the
//! same back-pressure as a channel; the largest message is capped
//! (`ZMQ_MAXMSGSIZE`) before it is read.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::connector::Pipe;
use super::watch::PeerWatch;
use super::{End, Link};
use crate::edge::{Shared, POLL};
use crate::wire::{self, Limits};

struct ZmqPipe(zmq::Socket, PeerWatch);

impl Drop for ZmqPipe {
    fn drop(&mut self) {
        self.1.stop(&mut self.0);
    }
}

const LOST: &str = "the peer's connection closed (its process exited, or its host stopped answering ZeroMQ heartbeats for 3 s)";

impl Pipe for ZmqPipe {
    fn send(&mut self, bytes: &[u8], shared: &Shared) -> Result<(), String> {
        loop {
            match self.0.send(bytes, 0) {
                Ok(()) => return Ok(()),
                Err(zmq::Error::EAGAIN) => {
                    if shared.abort.load(Ordering::Relaxed) {
                        return Err("aborted".into());
                    }
                    if self.1.lost() {
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
            match self.0.recv_bytes(0) {
                Ok(b) => return Ok(Some(b)),
                Err(zmq::Error::EAGAIN) => {
                    if shared.abort.load(Ordering::Relaxed)
                        || timeout.is_some_and(|t| t0.elapsed() > t)
                    {
                        return Ok(None);
                    }
                    if self.1.lost() {
                        // what it sent before it went is still readable
                        return match self.0.recv_bytes(zmq::DONTWAIT) {
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
        self.0.recv_bytes(zmq::DONTWAIT).ok()
    }

    fn send_now(&mut self, bytes: &[u8]) {
        let _ = self.0.send(bytes, zmq::DONTWAIT);
    }

    fn abandon(&mut self) {
        // a dead peer must not hold the process at exit (ZeroMQ's context
        // waits for unsent messages as long as the linger time)
        let _ = self.0.set_linger(200);
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

/// A pipe for one end of `link`: the producing end connects, the consuming
/// end binds (removing a socket file a crashed run left).
pub(crate) fn open_pipe(
    ctx: &zmq::Context,
    link: &Link,
    end: End,
) -> Result<Box<dyn Pipe>, String> {
    if end == End::Consuming {
        if let Some(path) = link.endpoint.strip_prefix("ipc://") {
            let _ = std::fs::remove_file(path);
        }
    }
    let (s, w) = socket(ctx, link, &Limits::default())?;
    match end {
        End::Producing => s.connect(&link.endpoint).map_err(|e| {
            format!(
                "edge {}: cannot connect to {}: {e}",
                link.name, link.endpoint
            )
        })?,
        End::Consuming => s
            .bind(&link.endpoint)
            .map_err(|e| format!("edge {}: cannot bind {}: {e}", link.name, link.endpoint))?,
    }
    Ok(Box::new(ZmqPipe(s, w)))
}
