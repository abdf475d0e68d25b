//! Authentication of the ZeroMQ edges at endpoints a graph names (`tcp://`,
//! `ipc://`): only the partitions of one run, which share its *run key*,
//! get through; any other connection is refused during ZeroMQ's own
//! handshake, before it can reach the edge, logged, and the run goes on.
//!
//! The libzmq that `zmq-sys` builds has no CURVE (it is compiled without
//! libsodium), so the edges use ZeroMQ's PLAIN mechanism with a ZAP handler
//! (ZeroMQ's authentication hook, [`Zap`]) and never send the key itself: a
//! connecting end sends a fresh random nonce as PLAIN user name and, as
//! password, HMAC-SHA-256 under the run key of the edge's ZAP domain
//! (`e<edge index>`) and that nonce. The binding end's handler recomputes
//! it (constant-time comparison), accepts each nonce once per run, and
//! refuses — with a `warn` log naming the edge and the peer's address —
//! anything else: a wrong or missing key, a replayed credential, another
//! mechanism, or bytes that are not ZeroMQ at all (refused by libzmq
//! before the handler; the socket monitor logs those, see `watch.rs`).
//! What it does not do: encrypt, or protect a connection against someone on
//! the network path (who can read the windows and take over an accepted
//! connection). Run partitions on a trusted network, or through a tunnel.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Environment variable that hands the run key to a partition.
pub const RUN_KEY_ENV: &str = "BRAINSTREAM_RUN_KEY";
/// Fewest characters a run key may have.
pub const MIN_KEY_CHARS: usize = 32;

const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";
const LABEL: &[u8] = b"brainstream zap v1";

/// The secret shared by the partitions of one run.
#[derive(Clone)]
pub struct RunKey(Vec<u8>);

impl std::fmt::Debug for RunKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunKey(..)")
    }
}

impl RunKey {
    /// A key given by the user (at least [`MIN_KEY_CHARS`] characters).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.chars().count() < MIN_KEY_CHARS {
            return Err(format!(
                "{RUN_KEY_ENV} has {} characters; a run key needs at least {MIN_KEY_CHARS} \
                 random ones (e.g. `openssl rand -hex 32`)",
                t.chars().count()
            ));
        }
        Ok(Self(t.as_bytes().to_vec()))
    }

    /// A fresh key: 256 random bits (the operating system seeds the
    /// generator), as 64 hex digits.
    pub fn random_text() -> String {
        let a: [u64; 4] = rand::random();
        a.iter().map(|x| format!("{x:016x}")).collect()
    }

    fn mac(&self, domain: &str, nonce: &str) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in [LABEL, domain.as_bytes(), nonce.as_bytes()] {
            m.update(&(part.len() as u64).to_le_bytes());
            m.update(part);
        }
        m
    }

    /// PLAIN user name and password for one connection to `domain`.
    pub(crate) fn credentials(&self, domain: &str) -> (String, String) {
        let nonce = format!("{:032x}", rand::random::<u128>());
        let tag = self.mac(domain, &nonce).finalize().into_bytes();
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        (nonce, hex)
    }

    /// Whether `password` is this key's tag of `domain` and `nonce`.
    pub(crate) fn verify(&self, domain: &str, nonce: &str, password: &[u8]) -> bool {
        let Some(tag) = unhex(password) else {
            return false;
        };
        self.mac(domain, nonce).verify_slice(&tag).is_ok()
    }
}

fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|c| {
            let t = std::str::from_utf8(c).ok()?;
            u8::from_str_radix(t, 16).ok()
        })
        .collect()
}

/// The ZAP domain of edge `index` (set on the binding socket).
pub(crate) fn domain(index: u32) -> String {
    format!("e{index}")
}

/// ZeroMQ's authentication handler for one context: a thread answering
/// the ZAP requests of every binding socket that asks for PLAIN.
pub(crate) struct Zap {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Edge names by ZAP domain, for the log.
    names: Arc<Mutex<Vec<(String, String)>>>,
}

impl Zap {
    /// Starts the handler in `ctx`; call before any socket binds.
    pub(crate) fn start(ctx: &zmq::Context, key: RunKey) -> Result<Self, String> {
        let s = ctx
            .socket(zmq::REP)
            .and_then(|s| s.set_rcvtimeo(50).map(|_| s))
            .and_then(|s| s.set_linger(0).map(|_| s))
            .map_err(|e| format!("ZeroMQ authentication handler: {e}"))?;
        s.bind(ZAP_ENDPOINT)
            .map_err(|e| format!("ZeroMQ authentication handler: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let names: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let (st, nm) = (stop.clone(), names.clone());
        let thread = std::thread::Builder::new()
            .name("zap".into())
            .spawn(move || serve(s, &key, &st, &nm))
            .map_err(|e| format!("cannot spawn a thread: {e}"))?;
        Ok(Self {
            stop,
            thread: Some(thread),
            names,
        })
    }

    /// Names `domain` `edge` in the log.
    pub(crate) fn name(&self, domain: String, edge: String) {
        if let Ok(mut v) = self.names.lock() {
            v.push((domain, edge));
        }
    }
}

impl Drop for Zap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers ZAP requests (RFC 27) until `stop`.
fn serve(s: zmq::Socket, key: &RunKey, stop: &AtomicBool, names: &Mutex<Vec<(String, String)>>) {
    let mut used: HashSet<Vec<u8>> = HashSet::new();
    while !stop.load(Ordering::Relaxed) {
        let frames = match s.recv_multipart(0) {
            Ok(f) => f,
            Err(zmq::Error::EAGAIN) => continue,
            Err(_) => break,
        };
        // version, request id, domain, address, identity, mechanism, credentials
        let get = |i: usize| frames.get(i).map(|f| f.as_slice()).unwrap_or(&[]);
        let text = |i: usize| String::from_utf8_lossy(get(i)).into_owned();
        let (dom, address, mechanism) = (text(2), text(3), get(5));
        let verdict = if get(0) != b"1.0" {
            Err("not a ZAP 1.0 request".to_string())
        } else if mechanism != b"PLAIN" {
            Err(format!(
                "mechanism {} instead of brainstream's PLAIN with the run key",
                String::from_utf8_lossy(mechanism)
            ))
        } else if !key.verify(&dom, &text(6), get(7)) {
            Err("its credentials do not match the run key (a stranger, or a partition of another run)".into())
        } else if !used.insert(get(6).to_vec()) {
            Err("its credentials were already used (a replay)".into())
        } else {
            Ok(())
        };
        let (code, why) = match &verdict {
            Ok(()) => ("200", "OK"),
            Err(_) => ("400", "refused"),
        };
        if let Err(why) = verdict {
            let edge = names
                .lock()
                .ok()
                .and_then(|v| v.iter().find(|(d, _)| *d == dom).map(|(_, n)| n.clone()))
                .unwrap_or_else(|| dom.clone());
            let from = if address.is_empty() {
                "a local process".to_string()
            } else {
                address
            };
            tracing::warn!(edge = %edge, peer = %from, "refused a connection: {why}");
        }
        let reply: [&[u8]; 6] = [b"1.0", get(1), code.as_bytes(), why.as_bytes(), b"", b""];
        if s.send_multipart(reply, 0).is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_bound_to_its_key_domain_and_nonce() {
        let k = RunKey::parse(&RunKey::random_text()).unwrap();
        let (n, p) = k.credentials("e3");
        assert!(k.verify("e3", &n, p.as_bytes()));
        assert!(!k.verify("e4", &n, p.as_bytes()), "another edge");
        assert!(!k.verify("e3", "0", p.as_bytes()), "another nonce");
        let other = RunKey::parse(&RunKey::random_text()).unwrap();
        assert!(!other.verify("e3", &n, p.as_bytes()), "another key");
        assert!(!k.verify("e3", &n, b"zz"));
        assert!(RunKey::parse("short").unwrap_err().contains("at least 32"));
    }
}
