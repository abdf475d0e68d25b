//! The external session's handshake messages (`docs/protocol.md`,
//! "External actors", steps 1 and 2): the runtime's hello, and the checks
//! of the external side's answer. Every field of the answer's header is
//! checked before its body is read, as the transport codec
//! (`brainstream_runtime::wire::decode`) checks a window: magic, version,
//! kind, flags and reserved bytes ([`Header::parse`]), then the announced
//! length against [`MAX_HELLO`] and against the bytes that arrived, the
//! dtype (3, UTF-8), the session edge (`0xFFFFFFFF`), window, first step and
//! dims (all 0). Only then is the body decoded: UTF-8, JSON with no unknown
//! field and nothing after it.

use brainstream_runtime::wire::{Header, Kind, WireError, HEADER_LEN};
use serde::{Deserialize, Serialize};

/// Edge index of the session itself (hello, ticks, end, errors).
pub(crate) const SESSION_EDGE: u32 = u32::MAX;

/// Largest hello (or refusal) body the runtime takes, bytes: a JSON list of
/// region names and populations (76 regions take ~1 kB; 16 MiB is room for
/// 100 000 long names).
pub const MAX_HELLO: u64 = 16 << 20;

/// Longest refusal text quoted in an error, characters.
const MAX_QUOTE: usize = 4000;

/// A population as announced in the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopDecl {
    /// Population name (the same in every region).
    pub name: String,
    /// Neurons per region.
    pub size: u64,
}

/// What the runtime tells the external side.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RuntimeHello {
    pub protocol: u16,
    pub role: &'static str,
    pub actor: String,
    /// Integration step, ms.
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

impl RuntimeHello {
    /// The whole message: header and JSON body.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let json = serde_json::to_vec(self)?;
        let h = Header {
            kind: Kind::Hello,
            dtype: 3,
            edge: SESSION_EDGE,
            window: 0,
            start_step: 0,
            dims: [0; 3],
            payload_len: json.len() as u64,
        };
        let mut v = h.to_bytes().to_vec();
        v.extend_from_slice(&json);
        Ok(v)
    }
}

/// What the external side answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalHello {
    /// Protocol version (the header's is checked first).
    pub protocol: u16,
    /// `external`.
    pub role: String,
    /// Who is speaking, for messages.
    #[serde(default)]
    pub peer: String,
    /// Region names, in the graph's order.
    pub regions: Vec<String>,
    /// Populations per region.
    pub populations: Vec<PopDecl>,
    /// Input ports it serves.
    pub inputs: Vec<String>,
    /// Output ports it sends every window.
    pub outputs: Vec<String>,
}

/// Why the external side's answer to the hello is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HandshakeError {
    /// Another protocol version in the header.
    #[error("the external side speaks protocol version {got}, this build speaks {want}; install the client of this brainstream there (pip install ./python)")]
    Version { got: u16, want: u16 },
    /// Not a message of the protocol (magic, kind, flags, reserved bytes).
    #[error("the external side's handshake: {0}")]
    Header(WireError),
    /// A header announcing more than a hello may have.
    #[error("the external side's handshake announces a payload of {len} bytes, over the limit of {limit} bytes for a handshake")]
    Oversized { len: u64, limit: u64 },
    /// A header whose length is not that of the body that came.
    #[error(
        "the external side's handshake announces {announced} payload bytes, {arrived} arrived"
    )]
    Length { announced: u64, arrived: u64 },
    /// A header field with another value than a hello has.
    #[error("the external side's handshake: header field `{field}` is {got}, a {kind:?} message of the session has {want}")]
    Field {
        kind: Kind,
        field: &'static str,
        got: String,
        want: String,
    },
    /// Another message than a hello or a refusal.
    #[error("expected the external side's handshake, got a {0:?} message")]
    Unexpected(Kind),
    /// A body that is not UTF-8.
    #[error("the external side's handshake is not UTF-8 (invalid byte at offset {0} of its body)")]
    NotUtf8(usize),
    /// A body that is not the hello's JSON.
    #[error("the external side's handshake is not valid: {0}")]
    Json(String),
    /// The external side refused (an error message), with its text.
    #[error("the external side refused: {0}")]
    Refused(String),
}

/// Checks one field of the header.
fn field<T: PartialEq + std::fmt::Display>(
    kind: Kind,
    name: &'static str,
    got: T,
    want: T,
) -> Result<(), HandshakeError> {
    if got == want {
        Ok(())
    } else {
        Err(HandshakeError::Field {
            kind,
            field: name,
            got: got.to_string(),
            want: want.to_string(),
        })
    }
}

/// Reads the external side's answer to the hello: a hello, or a refusal
/// (an error message) turned into [`HandshakeError::Refused`]. `b` is one
/// whole message as it arrived (header and body).
pub fn parse_answer(b: &[u8]) -> Result<ExternalHello, HandshakeError> {
    let h = Header::parse("handshake", b).map_err(|e| match e {
        WireError::Version { got, want, .. } => HandshakeError::Version { got, want },
        e => HandshakeError::Header(e),
    })?;
    if h.payload_len > MAX_HELLO {
        return Err(HandshakeError::Oversized {
            len: h.payload_len,
            limit: MAX_HELLO,
        });
    }
    let body = &b[HEADER_LEN..];
    if body.len() as u64 != h.payload_len {
        return Err(HandshakeError::Length {
            announced: h.payload_len,
            arrived: body.len() as u64,
        });
    }
    if !matches!(h.kind, Kind::Hello | Kind::Error) {
        return Err(HandshakeError::Unexpected(h.kind));
    }
    let k = h.kind;
    field(k, "dtype", h.dtype, 3)?;
    field(k, "edge", h.edge, SESSION_EDGE)?;
    field(k, "window", h.window, 0)?;
    field(k, "start_step", h.start_step, 0)?;
    for (name, d) in ["dims[0]", "dims[1]", "dims[2]"].into_iter().zip(h.dims) {
        field(k, name, d, 0)?;
    }
    let text = std::str::from_utf8(body).map_err(|e| HandshakeError::NotUtf8(e.valid_up_to()))?;
    match k {
        Kind::Hello => serde_json::from_str(text).map_err(|e| HandshakeError::Json(e.to_string())),
        _ => Err(HandshakeError::Refused(quote(text.trim_end()))),
    }
}

/// At most [`MAX_QUOTE`] characters of the peer's text, control characters
/// but newlines and tabs escaped (a peer's traceback keeps its lines).
fn quote(text: &str) -> String {
    let mut s = String::new();
    for (k, c) in text.chars().enumerate() {
        if k == MAX_QUOTE {
            s.push_str(" […]");
            break;
        }
        if c.is_control() && c != '\n' && c != '\t' {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"protocol": 1, "role": "external", "peer": "test",
        "regions": ["rM1"], "populations": [{"name": "E", "size": 2}],
        "inputs": ["spikes_in"], "outputs": ["spikes"]}"#;

    fn message(kind: Kind, body: &[u8]) -> Vec<u8> {
        let h = Header {
            kind,
            dtype: 3,
            edge: SESSION_EDGE,
            window: 0,
            start_step: 0,
            dims: [0; 3],
            payload_len: body.len() as u64,
        };
        let mut v = h.to_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn err(b: &[u8]) -> HandshakeError {
        parse_answer(b).unwrap_err()
    }

    #[test]
    fn a_valid_hello_is_taken() {
        let h = parse_answer(&message(Kind::Hello, GOOD.as_bytes())).unwrap();
        assert_eq!(h.role, "external");
        assert_eq!(h.regions, ["rM1"]);
        assert_eq!(
            h.populations,
            [PopDecl {
                name: "E".into(),
                size: 2
            }]
        );
    }

    /// The fault of issue 16, item 5: a hello announcing 2^62 bytes was
    /// parsed anyway (its body read to the end, whatever the header said).
    #[test]
    fn a_hello_announcing_2_to_the_62_bytes_is_refused() {
        let mut b = message(Kind::Hello, GOOD.as_bytes());
        b[44..52].copy_from_slice(&(1u64 << 62).to_le_bytes());
        let e = err(&b);
        assert_eq!(
            e,
            HandshakeError::Oversized {
                len: 1 << 62,
                limit: MAX_HELLO
            }
        );
        assert!(e.to_string().contains("4611686018427387904 bytes"), "{e}");
        // within the limit but longer than what came
        b[44..52].copy_from_slice(&(GOOD.len() as u64 + 1).to_le_bytes());
        assert_eq!(
            err(&b),
            HandshakeError::Length {
                announced: GOOD.len() as u64 + 1,
                arrived: GOOD.len() as u64
            }
        );
    }

    /// Bytes in front of (or after) a valid body, not counted by the
    /// header, were parsed anyway (leading whitespace is valid JSON).
    #[test]
    fn bytes_around_a_valid_body_are_refused() {
        for extra in [&b"  \n"[..], b"xx", b"\0"] {
            let mut b = message(Kind::Hello, GOOD.as_bytes());
            b.splice(HEADER_LEN..HEADER_LEN, extra.iter().copied());
            let e = err(&b);
            assert!(
                matches!(e, HandshakeError::Length { announced, arrived }
                    if announced == GOOD.len() as u64 && arrived == (GOOD.len() + extra.len()) as u64),
                "{e}"
            );
            let mut b = message(Kind::Hello, GOOD.as_bytes());
            b.extend_from_slice(extra);
            assert!(matches!(err(&b), HandshakeError::Length { .. }));
        }
        // counted by the header: the JSON itself refuses what is not it
        let mut body = GOOD.as_bytes().to_vec();
        body.extend_from_slice(b" {}");
        assert!(matches!(
            err(&message(Kind::Hello, &body)),
            HandshakeError::Json(_)
        ));
    }

    /// Every field of the header is checked: dtype, edge, window, first
    /// step, dims; magic, version, kind, flags and reserved bytes by the
    /// codec's header parser.
    #[test]
    fn every_header_field_is_checked() {
        let good = message(Kind::Hello, GOOD.as_bytes());
        let at = |off: usize, v: &[u8]| {
            let mut b = good.clone();
            b[off..off + v.len()].copy_from_slice(v);
            b
        };
        let field_of = |b: &[u8]| match err(b) {
            HandshakeError::Field { field, .. } => field,
            e => panic!("not a field error: {e}"),
        };
        assert_eq!(field_of(&at(7, &[1])), "dtype");
        assert_eq!(field_of(&at(7, &[0])), "dtype");
        assert_eq!(field_of(&at(12, &7u32.to_le_bytes())), "edge");
        assert_eq!(field_of(&at(16, &1u64.to_le_bytes())), "window");
        assert_eq!(field_of(&at(24, &5u64.to_le_bytes())), "start_step");
        assert_eq!(field_of(&at(32, &1u32.to_le_bytes())), "dims[0]");
        assert_eq!(field_of(&at(36, &1u32.to_le_bytes())), "dims[1]");
        assert_eq!(field_of(&at(40, &u32::MAX.to_le_bytes())), "dims[2]");
        let e = err(&at(7, &[1]));
        assert!(
            e.to_string()
                .contains("header field `dtype` is 1, a Hello message of the session has 3"),
            "{e}"
        );
        assert!(matches!(err(&at(0, b"XSWF")), HandshakeError::Header(_)));
        assert!(matches!(err(&at(8, &[1])), HandshakeError::Header(_)));
        assert!(matches!(err(&at(60, &[1])), HandshakeError::Header(_)));
        assert!(matches!(err(&at(6, &[9])), HandshakeError::Header(_)));
        assert_eq!(
            err(&at(4, &2u16.to_le_bytes())),
            HandshakeError::Version { got: 2, want: 1 }
        );
        assert!(matches!(err(&good[..63]), HandshakeError::Header(_)));
        assert!(matches!(err(&[]), HandshakeError::Header(_)));
        // another kind, with a consistent header
        let mut b = good.clone();
        b[6] = Kind::Series as u8;
        assert_eq!(err(&b), HandshakeError::Unexpected(Kind::Series));
    }

    #[test]
    fn bodies_that_are_not_a_hello_are_refused() {
        assert_eq!(
            err(&message(Kind::Hello, b"{\"protocol\": 1, \xff}")),
            HandshakeError::NotUtf8(16)
        );
        let e = err(&message(Kind::Hello, b"{\"protocol\": 1, \"extra\": 2}"));
        assert!(e.to_string().contains("unknown field `extra`"), "{e}");
        assert!(matches!(
            err(&message(Kind::Hello, b"")),
            HandshakeError::Json(_)
        ));
    }

    /// A refusal is quoted short and escaped: no terminal control bytes, at
    /// most MAX_QUOTE characters.
    #[test]
    fn a_refusal_is_quoted_short_and_escaped() {
        let e = err(&message(Kind::Error, b"no NEST here\x1b[2J\n  line 2\n"));
        assert_eq!(
            e,
            HandshakeError::Refused("no NEST here\\u{1b}[2J\n  line 2".into())
        );
        let long = "x".repeat(MAX_QUOTE * 3);
        let HandshakeError::Refused(t) = err(&message(Kind::Error, long.as_bytes())) else {
            panic!()
        };
        assert_eq!(t.chars().count(), MAX_QUOTE + " […]".chars().count());
    }
}
