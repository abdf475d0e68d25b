//! Encoding and decoding whole messages.
//!
//! Payloads (little-endian, 8-byte aligned after the header):
//! - series (dtype 1), dims (S, V, N): `stamps: u64[S]`, `times_ms: f64[S]`,
//!   `values: f64[S·V·N]` (sample-major, then variable, then node);
//! - spikes (dtype 2), dims (E, 0, 0): `stamps: u64[E]`, `times_ms: f64[E]`,
//!   `senders: u32[E]`;
//! - hello (dtype 3): UTF-8 JSON ([`Hello`]); error (dtype 3): UTF-8 text;
//!   end: no payload.

use std::sync::Arc;

use ndarray::Array3;

use super::header::{Header, Kind, HEADER_LEN};
use super::{Hello, Limits, WireError};
use crate::payload::{Payload, Series, SeriesMeta, Spikes};

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub header: Header,
    pub body: Body,
}

/// Its content.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Hello(Hello),
    Window(Payload),
    /// A window without data.
    Empty,
    /// Names of the series that follow.
    Meta(SeriesMeta),
    End,
    Error(String),
}

fn header(
    kind: Kind,
    dtype: u8,
    edge: u32,
    window: u64,
    start_step: u64,
    dims: [u32; 3],
    len: usize,
) -> Vec<u8> {
    let h = Header {
        kind,
        dtype,
        edge,
        window,
        start_step,
        dims,
        payload_len: len as u64,
    };
    let mut v = Vec::with_capacity(HEADER_LEN + len);
    v.extend_from_slice(&h.to_bytes());
    v
}

fn dim(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// A state window of edge `edge`.
pub fn encode_series(edge: u32, window: u64, s: &Series) -> Vec<u8> {
    let (ns, nv, nn) = s.data.dim();
    let len = ns * 16 + ns * nv * nn * 8;
    let start = s.stamps.first().copied().unwrap_or(0);
    let mut v = header(
        Kind::Series,
        1,
        edge,
        window,
        start,
        [dim(ns), dim(nv), dim(nn)],
        len,
    );
    for st in &s.stamps {
        v.extend_from_slice(&st.to_le_bytes());
    }
    for t in &s.times_ms {
        v.extend_from_slice(&t.to_le_bytes());
    }
    match s.data.as_slice() {
        Some(flat) => flat
            .iter()
            .for_each(|x| v.extend_from_slice(&x.to_le_bytes())),
        None => s
            .data
            .iter()
            .for_each(|x| v.extend_from_slice(&x.to_le_bytes())),
    }
    v
}

/// A spike window of edge `edge` starting at step `start_step`.
pub fn encode_spikes(edge: u32, window: u64, start_step: u64, s: &Spikes) -> Vec<u8> {
    let n = s.senders.len();
    let mut v = header(
        Kind::Spikes,
        2,
        edge,
        window,
        start_step,
        [dim(n), 0, 0],
        n * 20,
    );
    s.stamps
        .iter()
        .for_each(|x| v.extend_from_slice(&x.to_le_bytes()));
    s.times_ms
        .iter()
        .for_each(|x| v.extend_from_slice(&x.to_le_bytes()));
    s.senders
        .iter()
        .for_each(|x| v.extend_from_slice(&x.to_le_bytes()));
    v
}

/// The handshake.
pub fn encode_hello(edge: u32, h: &Hello) -> Vec<u8> {
    let json = serde_json::to_vec(h).unwrap_or_default();
    let mut v = header(Kind::Hello, 3, edge, 0, 0, [0; 3], json.len());
    v.extend_from_slice(&json);
    v
}

/// Window `window` carried nothing.
pub fn encode_empty(edge: u32, window: u64) -> Vec<u8> {
    header(Kind::Empty, 0, edge, window, 0, [0; 3], 0)
}

/// The names of the series windows that follow: `units` one per variable,
/// and `unit` the one they share (`""` when they differ), for peers that
/// read only that.
pub fn encode_meta(edge: u32, m: &SeriesMeta) -> Vec<u8> {
    let mut j = serde_json::json!({
        "variables": m.variables, "nodes": m.nodes,
        "unit": m.common_unit().unwrap_or(""), "units": m.units
    });
    if let crate::NodeSpace::Sensors {
        modality,
        positions,
    } = &m.space
    {
        j["sensors"] = serde_json::json!({ "modality": modality, "positions": positions });
    }
    let json = serde_json::to_vec(&j).unwrap_or_default();
    let mut v = header(Kind::Meta, 3, edge, 0, 0, [0; 3], json.len());
    v.extend_from_slice(&json);
    v
}

/// The end of the run (after the last window).
pub fn encode_end(edge: u32, window: u64) -> Vec<u8> {
    header(Kind::End, 0, edge, window, 0, [0; 3], 0)
}

/// A fatal error of the sending side, for the other side to report.
pub fn encode_error(edge: u32, message: &str) -> Vec<u8> {
    let mut v = header(Kind::Error, 3, edge, 0, 0, [0; 3], message.len());
    v.extend_from_slice(message.as_bytes());
    v
}

fn u64s(b: &[u8]) -> impl Iterator<Item = u64> + '_ {
    b.chunks_exact(8).map(|c| {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        u64::from_le_bytes(a)
    })
}

/// Decodes one whole message of edge `edge`. `meta` names the variables and
/// nodes of a series edge (from the handshake); the window's dims must match
/// it. Nothing is allocated before the lengths are checked.
pub fn decode(
    edge: &str,
    b: &[u8],
    limits: &Limits,
    meta: Option<&Arc<SeriesMeta>>,
) -> Result<Message, WireError> {
    let h = Header::parse(edge, b)?;
    if h.payload_len > limits.max_payload {
        return Err(WireError::Oversized {
            edge: edge.to_string(),
            len: h.payload_len,
            limit: limits.max_payload,
        });
    }
    let body = &b[HEADER_LEN..];
    if body.len() as u64 != h.payload_len {
        return Err(WireError::malformed(
            edge,
            format!(
                "the header announces {} payload bytes, {} arrived",
                h.payload_len,
                body.len()
            ),
        ));
    }
    let bad = |c: String| WireError::malformed(edge, c);
    let msg = match h.kind {
        Kind::Hello | Kind::Error | Kind::Meta => {
            if h.dtype != 3 {
                return Err(bad(format!("text message with dtype {}", h.dtype)));
            }
            let text = std::str::from_utf8(body).map_err(|e| bad(format!("not UTF-8: {e}")))?;
            match h.kind {
                Kind::Hello => Body::Hello(
                    serde_json::from_str(text)
                        .map_err(|e| bad(format!("hello is not valid: {e}")))?,
                ),
                Kind::Meta => {
                    #[derive(serde::Deserialize)]
                    #[serde(deny_unknown_fields)]
                    struct M {
                        variables: Vec<String>,
                        nodes: Vec<String>,
                        #[serde(default)]
                        unit: String,
                        /// one per variable; without it, `unit` for all
                        #[serde(default)]
                        units: Option<Vec<String>>,
                        /// sensors' modality and positions (sensor series)
                        #[serde(default)]
                        sensors: Option<S>,
                    }
                    #[derive(serde::Deserialize)]
                    struct S {
                        modality: String,
                        positions: Vec<[f64; 3]>,
                    }
                    let m: M = serde_json::from_str(text)
                        .map_err(|e| bad(format!("series meta is not valid: {e}")))?;
                    let units = match m.units {
                        Some(u) if u.len() != m.variables.len() => {
                            return Err(bad(format!(
                                "series meta names {} variables and {} units",
                                m.variables.len(),
                                u.len()
                            )))
                        }
                        Some(u) => u,
                        None => vec![m.unit; m.variables.len()],
                    };
                    let space = match m.sensors {
                        Some(s) if s.positions.len() != m.nodes.len() => {
                            return Err(bad(format!(
                                "series meta names {} nodes and {} sensor positions",
                                m.nodes.len(),
                                s.positions.len()
                            )))
                        }
                        Some(s) => crate::NodeSpace::Sensors {
                            modality: s.modality,
                            positions: s.positions,
                        },
                        None => crate::NodeSpace::Regions,
                    };
                    Body::Meta(SeriesMeta {
                        variables: m.variables,
                        nodes: m.nodes,
                        units,
                        space,
                    })
                }
                _ => Body::Error(text.to_string()),
            }
        }
        Kind::End | Kind::Empty => {
            if h.payload_len != 0 {
                return Err(bad("an end or empty message carries no payload".into()));
            }
            if h.kind == Kind::End {
                Body::End
            } else {
                Body::Empty
            }
        }
        Kind::Series => {
            if h.dtype != 1 {
                return Err(bad(format!("series with dtype {}", h.dtype)));
            }
            let [ns, nv, nn] = h.dims.map(|d| d as u64);
            let want = ns
                .checked_mul(nv)
                .and_then(|x| x.checked_mul(nn))
                .and_then(|x| x.checked_mul(8))
                .and_then(|x| x.checked_add(ns * 16))
                .ok_or_else(|| bad("dims overflow".into()))?;
            if want != h.payload_len {
                return Err(bad(format!(
                    "dims {ns}×{nv}×{nn} need {want} payload bytes, the header says {}",
                    h.payload_len
                )));
            }
            let meta = meta.ok_or_else(|| bad("a series window before the handshake".into()))?;
            if meta.variables.len() as u64 != nv || meta.nodes.len() as u64 != nn {
                return Err(bad(format!(
                    "window of {nv} variables × {nn} nodes on an edge of {} × {}",
                    meta.variables.len(),
                    meta.nodes.len()
                )));
            }
            let (ns, nv, nn) = (ns as usize, nv as usize, nn as usize);
            let stamps: Vec<u64> = u64s(&body[..ns * 8]).collect();
            let times: Vec<f64> = u64s(&body[ns * 8..ns * 16]).map(f64::from_bits).collect();
            if let Some(k) = times.iter().position(|t| !t.is_finite()) {
                return Err(bad(format!(
                    "sample {k} (stamped {}) has a time that is not finite: {}",
                    stamps[k], times[k]
                )));
            }
            let values: Vec<f64> = u64s(&body[ns * 16..]).map(f64::from_bits).collect();
            if stamps.windows(2).any(|w| w[1] <= w[0]) {
                return Err(bad("sample stamps are not increasing".into()));
            }
            if ns > 0 && stamps[0] != h.start_step {
                return Err(bad(format!(
                    "first stamp {} but the header says {}",
                    stamps[0], h.start_step
                )));
            }
            let data =
                Array3::from_shape_vec((ns, nv, nn), values).map_err(|e| bad(e.to_string()))?;
            Body::Window(Payload::Series(Arc::new(Series {
                stamps,
                times_ms: times,
                data,
                meta: meta.clone(),
            })))
        }
        Kind::Spikes => {
            if h.dtype != 2 {
                return Err(bad(format!("spikes with dtype {}", h.dtype)));
            }
            let n = h.dims[0] as u64;
            if h.dims[1] != 0 || h.dims[2] != 0 || n * 20 != h.payload_len {
                return Err(bad(format!(
                    "spike dims {:?} do not match {} payload bytes",
                    h.dims, h.payload_len
                )));
            }
            let n = n as usize;
            let stamps: Vec<u64> = u64s(&body[..n * 8]).collect();
            let times: Vec<f64> = u64s(&body[n * 8..n * 16]).map(f64::from_bits).collect();
            let senders: Vec<u32> = body[n * 16..]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if stamps.iter().any(|s| *s < h.start_step) {
                return Err(bad("a spike stamped before its window".into()));
            }
            if let Some(k) = times.iter().position(|t| !t.is_finite()) {
                return Err(bad(format!(
                    "spike {k} (stamped {}) has a time that is not finite: {}",
                    stamps[k], times[k]
                )));
            }
            Body::Window(Payload::Spikes(Arc::new(Spikes {
                senders,
                times_ms: times,
                stamps,
            })))
        }
    };
    Ok(Message {
        header: h,
        body: msg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn meta() -> Arc<SeriesMeta> {
        Arc::new(SeriesMeta {
            variables: vec!["E".into(), "I".into()],
            nodes: (0..3).map(|i| format!("r{i}")).collect(),
            units: vec!["kHz".into(), "pA".into()],
            space: crate::NodeSpace::Regions,
        })
    }

    fn series() -> Series {
        let data = Array3::from_shape_fn((4, 2, 3), |(s, v, n)| {
            s as f64 + 0.1 * v as f64 - 0.01 * n as f64
        });
        Series {
            stamps: vec![10, 11, 12, 13],
            times_ms: vec![1.0, 1.1, 1.2, 1.3],
            data,
            meta: meta(),
        }
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let m = meta();
        let s = series();
        let b = encode_series(7, 3, &s);
        assert_eq!(b.len(), 64 + 4 * 16 + 24 * 8);
        let d = decode("a.out->b.in", &b, &Limits::default(), Some(&m)).unwrap();
        assert_eq!(d.header.window, 3);
        assert_eq!(d.header.edge, 7);
        assert_eq!(d.body, Body::Window(Payload::Series(Arc::new(s))));
        let sp = Spikes {
            senders: vec![3, 1, 4],
            times_ms: vec![1.0, 1.5, 1.7],
            stamps: vec![10, 15, 17],
        };
        let b = encode_spikes(2, 1, 10, &sp);
        let d = decode("x", &b, &Limits::default(), None).unwrap();
        assert_eq!(d.body, Body::Window(Payload::Spikes(Arc::new(sp.clone()))));
        // times that are not finite are refused, not recorded as NaN
        let mut nan = sp.clone();
        nan.times_ms[1] = f64::NAN;
        let e = decode(
            "x",
            &encode_spikes(2, 1, 10, &nan),
            &Limits::default(),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("spike 1 (stamped 15) has a time that is not finite: NaN"),
            "{e}"
        );
        let mut inf = series();
        inf.times_ms[0] = f64::INFINITY;
        let e = decode(
            "x",
            &encode_series(7, 3, &inf),
            &Limits::default(),
            Some(&m),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("sample 0 (stamped"), "{e}");
        let h = Hello {
            protocol: 1,
            graph_hash: "ab".into(),
            dt_ms: 0.1,
            window_steps: 10,
            edge: "a.out->b.in".into(),
            port_type: "series".into(),
            variables: vec![],
            nodes: vec![],
            unit: String::new(),
            peer: "test".into(),
        };
        let d = decode("x", &encode_hello(0, &h), &Limits::default(), None).unwrap();
        assert_eq!(d.body, Body::Hello(h));
        assert_eq!(
            decode("x", &encode_end(0, 9), &Limits::default(), None)
                .unwrap()
                .body,
            Body::End
        );
        assert_eq!(
            decode("x", &encode_empty(0, 9), &Limits::default(), None)
                .unwrap()
                .body,
            Body::Empty
        );
        assert_eq!(
            decode("x", &encode_meta(0, &meta()), &Limits::default(), None)
                .unwrap()
                .body,
            Body::Meta((*meta()).clone())
        );
        assert_eq!(
            decode("x", &encode_error(0, "peer died"), &Limits::default(), None)
                .unwrap()
                .body,
            Body::Error("peer died".into())
        );
    }

    /// A meta message with one unit per variable; one with only `unit`
    /// (the first layout) gives it to every variable; a count of units
    /// other than of variables is refused.
    #[test]
    fn meta_carries_one_unit_per_variable() {
        let text = |json: &str| {
            let mut v = header(Kind::Meta, 3, 0, 0, 0, [0; 3], json.len());
            v.extend_from_slice(json.as_bytes());
            v
        };
        let b = encode_meta(0, &meta());
        let json: serde_json::Value = serde_json::from_slice(&b[HEADER_LEN..]).unwrap();
        assert_eq!(json["units"], serde_json::json!(["kHz", "pA"]));
        assert_eq!(json["unit"], "");
        let old = r#"{"variables": ["E", "I"], "nodes": ["a"], "unit": "kHz"}"#;
        let Body::Meta(m) = decode("x", &text(old), &Limits::default(), None)
            .unwrap()
            .body
        else {
            panic!("not a meta message")
        };
        assert_eq!(m.units, ["kHz", "kHz"]);
        assert_eq!(m.common_unit(), Some("kHz"));
        let bad = r#"{"variables": ["E", "I"], "nodes": ["a"], "units": ["kHz"]}"#;
        let e = decode("e.out->f.in", &text(bad), &Limits::default(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("e.out->f.in") && e.contains("2 variables and 1 units"),
            "{e}"
        );
    }

    /// A sensor monitor's meta crosses an edge with its sensors' modality
    /// and positions (the recorder's `sensor_position`); a position count
    /// other than the node count is refused.
    #[test]
    fn meta_carries_sensor_positions() {
        let mut m = (*meta()).clone();
        m.space = crate::NodeSpace::Sensors {
            modality: "EEG".into(),
            positions: vec![[1.0, 2.0, 3.0], [-4.5, 0.0, 9.25], [0.0; 3]],
        };
        let b = encode_meta(0, &m);
        let got = decode("x", &b, &Limits::default(), None).unwrap().body;
        assert_eq!(got, Body::Meta(m));
        let bad = r#"{"variables": ["V"], "nodes": ["a", "b"], "sensors": {"modality": "MEG", "positions": [[0, 0, 0]]}}"#;
        let mut v = header(Kind::Meta, 3, 0, 0, 0, [0; 3], bad.len());
        v.extend_from_slice(bad.as_bytes());
        let e = decode("e.out->f.in", &v, &Limits::default(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 nodes and 1 sensor positions"), "{e}");
    }

    #[test]
    fn bad_messages_name_the_edge_and_the_cause() {
        let m = meta();
        let good = encode_series(0, 0, &series());
        let edge = "brain.state->rec.input";
        let err = |b: &[u8], lim: Limits| decode(edge, b, &lim, Some(&m)).unwrap_err().to_string();
        let e = err(&good[..good.len() - 1], Limits::default());
        assert!(
            e.starts_with("edge brain.state->rec.input: malformed") && e.contains("announces"),
            "{e}"
        );
        let e = err(&good[..10], Limits::default());
        assert!(e.contains("shorter than the 64-byte header"), "{e}");
        let mut b = good.clone();
        b[4] = 2;
        assert!(err(&b, Limits::default()).contains("protocol version 2, this build speaks 1"));
        let e = err(&good, Limits { max_payload: 100 });
        assert!(e.contains("exceeds the limit of 100 bytes"), "{e}");
        let mut b = good.clone();
        b[0] = b'X';
        assert!(err(&b, Limits::default()).contains("bad magic"));
        let mut b = good.clone();
        b[36] = 5; // 5 variables
        assert!(err(&b, Limits::default()).contains("need"));
        // a huge announced payload is refused before any allocation
        let mut b = good.clone();
        b[44..52].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(err(&b, Limits::default()).contains("exceeds"));
        // non-increasing stamps
        let mut b = good.clone();
        b[64 + 8..64 + 16].copy_from_slice(&5u64.to_le_bytes());
        assert!(err(&b, Limits::default()).contains("not increasing"));
    }

    /// Random bytes, truncations and single-byte mutations of valid
    /// messages never panic (a deterministic fuzz of the decoder).
    #[test]
    fn garbage_never_panics() {
        let m = meta();
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let seeds = [
            encode_series(0, 0, &series()),
            encode_spikes(
                1,
                0,
                10,
                &Spikes {
                    senders: vec![1, 2],
                    times_ms: vec![1.0, 2.0],
                    stamps: vec![10, 20],
                },
            ),
            encode_end(0, 1),
            encode_meta(0, &meta()),
        ];
        for k in 0..200_000 {
            let mut b = seeds[k % seeds.len()].clone();
            match k % 4 {
                0 => {
                    let i = rng.gen_range(0..b.len());
                    b[i] = rng.gen();
                }
                1 => b.truncate(rng.gen_range(0..b.len())),
                2 => {
                    for _ in 0..rng.gen_range(1..8) {
                        let i = rng.gen_range(0..b.len());
                        b[i] = rng.gen();
                    }
                }
                _ => b = (0..rng.gen_range(0..200)).map(|_| rng.gen()).collect(),
            }
            let _ = decode(
                "fuzz",
                &b,
                &Limits {
                    max_payload: 1 << 16,
                },
                Some(&m),
            );
        }
    }
}
