//! The 64-byte message header (all fields little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `BSWF` |
//! | 4 | 2 | version (1) |
//! | 6 | 1 | kind: 1 hello, 2 series, 3 spikes, 4 end, 5 error, 6 empty window, 7 series meta |
//! | 7 | 1 | dtype: 0 none, 1 float64 values, 2 spike events, 3 UTF-8 |
//! | 8 | 4 | flags (0; a receiver refuses bits it does not know) |
//! | 12 | 4 | edge index in the graph |
//! | 16 | 8 | window index |
//! | 24 | 8 | first step of the window |
//! | 32 | 4 × 3 | dims: series (samples, variables, nodes); spikes (events, 0, 0) |
//! | 44 | 8 | payload length, bytes |
//! | 52 | 12 | reserved, zero |

use super::WireError;

/// `BSWF`.
pub const MAGIC: [u8; 4] = *b"BSWF";
/// The version this build speaks.
pub const VERSION: u16 = 1;
/// Header size, bytes.
pub const HEADER_LEN: usize = 64;

/// Message kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hello = 1,
    Series = 2,
    Spikes = 3,
    End = 4,
    Error = 5,
    /// A window in which the producer sent nothing.
    Empty = 6,
    /// Variable and node names of the series that follow (JSON).
    Meta = 7,
}

/// A decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub dtype: u8,
    pub edge: u32,
    pub window: u64,
    pub start_step: u64,
    pub dims: [u32; 3],
    pub payload_len: u64,
}

impl Header {
    /// The 64 bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..6].copy_from_slice(&VERSION.to_le_bytes());
        b[6] = self.kind as u8;
        b[7] = self.dtype;
        b[12..16].copy_from_slice(&self.edge.to_le_bytes());
        b[16..24].copy_from_slice(&self.window.to_le_bytes());
        b[24..32].copy_from_slice(&self.start_step.to_le_bytes());
        for (k, d) in self.dims.iter().enumerate() {
            b[32 + 4 * k..36 + 4 * k].copy_from_slice(&d.to_le_bytes());
        }
        b[44..52].copy_from_slice(&self.payload_len.to_le_bytes());
        b
    }

    /// Reads and checks a header (`edge` names the edge in errors).
    pub fn parse(edge: &str, b: &[u8]) -> Result<Self, WireError> {
        if b.len() < HEADER_LEN {
            return Err(WireError::malformed(
                edge,
                format!("{} bytes, shorter than the 64-byte header", b.len()),
            ));
        }
        if b[0..4] != MAGIC {
            return Err(WireError::malformed(
                edge,
                format!("bad magic {:02x?} (not a brainstream message)", &b[0..4]),
            ));
        }
        let version = u16::from_le_bytes([b[4], b[5]]);
        if version != VERSION {
            return Err(WireError::Version {
                edge: edge.to_string(),
                got: version,
                want: VERSION,
            });
        }
        let kind = match b[6] {
            1 => Kind::Hello,
            2 => Kind::Series,
            3 => Kind::Spikes,
            4 => Kind::End,
            5 => Kind::Error,
            6 => Kind::Empty,
            7 => Kind::Meta,
            k => {
                return Err(WireError::malformed(
                    edge,
                    format!("unknown message kind {k}"),
                ))
            }
        };
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            u64::from_le_bytes(a)
        };
        let flags = u32_at(8);
        if flags != 0 {
            return Err(WireError::malformed(
                edge,
                format!("unknown flags {flags:#x}"),
            ));
        }
        if b[52..64].iter().any(|x| *x != 0) {
            return Err(WireError::malformed(
                edge,
                "reserved header bytes are not zero",
            ));
        }
        Ok(Self {
            kind,
            dtype: b[7],
            edge: u32_at(12),
            window: u64_at(16),
            start_step: u64_at(24),
            dims: [u32_at(32), u32_at(36), u32_at(40)],
            payload_len: u64_at(44),
        })
    }
}
