//! brainstream's wire format, version 1: how a window of an edge travels
//! between processes (shared memory, ZeroMQ) and to external simulators.
//! `docs/protocol.md` is the specification; this module is its reference
//! implementation.
//!
//! A message is a 64-byte little-endian [`Header`] followed by its payload:
//! for state windows the stamps, times and values as flat little-endian
//! arrays (no per-element serialisation), for spike windows the stamps,
//! times and senders, for the handshake a UTF-8 JSON [`Hello`]. Decoding
//! checks every length against the header and the [`Limits`] before
//! allocating, and every error names the edge.

mod codec;
mod header;
mod hello;

pub use codec::{
    decode, encode_empty, encode_end, encode_error, encode_hello, encode_meta, encode_series,
    encode_spikes, Body, Message,
};
pub use header::{Header, Kind, HEADER_LEN, MAGIC, VERSION};
pub use hello::Hello;

/// What a decoder accepts at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload, bytes.
    pub max_payload: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload: 1 << 30,
        }
    }
}

/// A message that cannot be taken, with the edge it arrived on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// Not a message of this format, or inconsistent with itself.
    #[error("edge {edge}: malformed message: {cause}")]
    Malformed { edge: String, cause: String },
    /// Another protocol version.
    #[error(
        "edge {edge}: protocol version {got}, this build speaks {want}; update the older side"
    )]
    Version { edge: String, got: u16, want: u16 },
    /// Larger than the limit.
    #[error("edge {edge}: a payload of {len} bytes exceeds the limit of {limit} bytes")]
    Oversized { edge: String, len: u64, limit: u64 },
    /// The two ends disagree on the run (handshake).
    #[error("edge {edge}: handshake refused: {what} differs (here {ours}, peer {theirs})")]
    Mismatch {
        edge: String,
        what: &'static str,
        ours: String,
        theirs: String,
    },
}

impl WireError {
    pub(crate) fn malformed(edge: &str, cause: impl Into<String>) -> Self {
        Self::Malformed {
            edge: edge.to_string(),
            cause: cause.into(),
        }
    }
}
