//! The parsed-connectome cache on disk: a TVB zip of text matrices is
//! parsed once per machine, not once per run.
//!
//! A 998-region zip (10 MB of text, 2 × 998² numbers) takes ~0.1 s of CPU
//! to inflate and parse; its parsed values are stored as raw little-endian
//! float64 (a one-step run of the 998-region graph: 0.26 s → 0.11 s of CPU,
//! docs/benchmarks.md). An entry is keyed by the SHA-256 of
//! the zip's bytes (so a file that changes, moves or is copied is found or
//! missed by what it holds, never by its name or time stamp) and holds the
//! values bit for bit as the text parser produced them.
//!
//! Where: `$BRAINSTREAM_CACHE_DIR/connectivity/`, else
//! `$XDG_CACHE_HOME/brainstream/connectivity/`, else
//! `$HOME/.cache/brainstream/connectivity/`; one file `<sha256>.bin` per
//! connectome (16·N² bytes and the labels: 16 MB for 998 regions). Only
//! zips of at least [`MIN_BYTES`] are cached (smaller ones parse in a few
//! milliseconds). `BRAINSTREAM_CACHE_DIR=off` turns the cache off; deleting
//! the folder at any time is safe. A missing, short or foreign entry is a
//! miss (the zip is parsed and the entry rewritten); a failure to write
//! one is logged and the run goes on.
//!
//! Entry layout (little-endian): the 8-byte magic [`MAGIC`], the 32-byte
//! content hash, `N` (u64), whether centres follow (u64, 0 or 1), the
//! weights and tract lengths (`N²` f64 each, row-major), the centres
//! (`3N` f64) if any, then `N` labels as (u32 byte length, UTF-8 bytes).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::connectivity::Connectivity;
use crate::datafile::MAX_REGIONS;

/// Zips smaller than this (bytes) are parsed each time.
pub const MIN_BYTES: usize = 1 << 20;

/// The first bytes of an entry; the last one is the layout's version
/// (a change of layout or of the text parser's results bumps it).
pub const MAGIC: &[u8; 8] = b"BSCONN\x00\x01";

/// The longest label kept, bytes.
const MAX_LABEL_BYTES: usize = 4096;

/// The cache's folder, or None when it is off or no home is known.
pub fn dir() -> Option<PathBuf> {
    let base = match std::env::var_os("BRAINSTREAM_CACHE_DIR") {
        Some(d) if d == "off" || d.is_empty() => return None,
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            Some(d) => PathBuf::from(d).join("brainstream"),
            None => PathBuf::from(std::env::var_os("HOME").filter(|d| !d.is_empty())?)
                .join(".cache")
                .join("brainstream"),
        },
    };
    Some(base.join("connectivity"))
}

/// The content hash of a file's bytes.
pub fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn entry_path(dir: &Path, key: &[u8; 32]) -> PathBuf {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.bin"))
}

/// The connectome stored under `key`, if there is a sound entry: its
/// values are checked again by [`Connectivity::from_parts`] (finite, ≥ 0,
/// shapes), and `source` names it in messages.
pub fn get(key: &[u8; 32], source: &str) -> Option<Connectivity> {
    let dir = dir()?;
    let path = entry_path(&dir, key);
    let bytes = std::fs::read(&path).ok()?;
    match decode(&bytes, key, source) {
        Some(c) => {
            tracing::debug!("connectome {source}: parsed values from {}", path.display());
            Some(c)
        }
        None => {
            tracing::debug!(
                "connectome cache entry {} is not sound; parsing",
                path.display()
            );
            None
        }
    }
}

/// Stores `c` under `key` (written to a temporary file, then renamed, so
/// that a reader never sees half an entry). Failures are logged only.
pub fn put(key: &[u8; 32], c: &Connectivity) {
    let Some(dir) = dir() else { return };
    let path = entry_path(&dir, key);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        f.write_all(&encode(key, c))?;
        // no fsync: an entry cut short by a crash is refused as short
        f.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, &path)
    };
    match write() {
        Ok(()) => tracing::debug!("connectome {}: cached in {}", c.source, path.display()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(
                "connectome {}: could not write the parsed-connectome cache {}: {e} (set BRAINSTREAM_CACHE_DIR to a writable folder, or `off`)",
                c.source,
                path.display()
            );
        }
    }
}

fn encode(key: &[u8; 32], c: &Connectivity) -> Vec<u8> {
    let n = c.n;
    let mut out = Vec::with_capacity(56 + 16 * n * n + 24 * n + 16 * n);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(key);
    out.extend_from_slice(&(n as u64).to_le_bytes());
    out.extend_from_slice(&u64::from(c.centres.is_some()).to_le_bytes());
    for v in c.weights.iter().chain(&c.tract_lengths) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for p in c.centres.iter().flatten() {
        for v in p {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for l in &c.labels {
        out.extend_from_slice(&(l.len() as u32).to_le_bytes());
        out.extend_from_slice(l.as_bytes());
    }
    out
}

/// Reads what [`encode`] wrote; None for anything else.
fn decode(b: &[u8], key: &[u8; 32], source: &str) -> Option<Connectivity> {
    let mut r = Reader { b, at: 0 };
    if r.take(8)? != MAGIC || r.take(32)? != key {
        return None;
    }
    let n = usize::try_from(r.u64()?).ok()?;
    let has_centres = match r.u64()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    if n == 0 || n > MAX_REGIONS {
        return None;
    }
    let weights = r.f64s(n * n)?;
    let tract_lengths = r.f64s(n * n)?;
    let centres = if has_centres {
        Some(
            r.f64s(3 * n)?
                .chunks(3)
                .map(|p| [p[0], p[1], p[2]])
                .collect(),
        )
    } else {
        None
    };
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let len = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
        if len > MAX_LABEL_BYTES {
            return None;
        }
        labels.push(std::str::from_utf8(r.take(len)?).ok()?.to_string());
    }
    if r.at != b.len() {
        return None;
    }
    let m = |data| crate::datafile::Matrix {
        rows: n,
        cols: n,
        data,
    };
    Connectivity::from_parts(m(weights), m(tract_lengths), Some(labels), centres, source).ok()
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn f64s(&mut self, count: usize) -> Option<Vec<f64>> {
        let raw = self.take(count.checked_mul(8)?)?;
        Some(
            raw.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(centres: bool) -> Connectivity {
        let m = |data: Vec<f64>| crate::datafile::Matrix {
            rows: 2,
            cols: 2,
            data,
        };
        Connectivity::from_parts(
            m(vec![0.0, 0.1 + 0.2, 1e-300, 0.0]),
            m(vec![0.0, 12.5, 7.0 / 3.0, 0.0]),
            Some(vec!["rA1".into(), "é ü".into()]),
            centres.then(|| vec![[1.0, -2.0, 3.5], [0.25, f64::MIN_POSITIVE, -0.0]]),
            "x.zip",
        )
        .unwrap()
    }

    #[test]
    fn an_entry_gives_back_the_same_bits_and_refuses_anything_else() {
        let key = hash(b"some zip");
        for centres in [false, true] {
            let c = sample(centres);
            let e = encode(&key, &c);
            let d = decode(&e, &key, "x.zip").unwrap();
            assert_eq!(d, c);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&d.weights), bits(&c.weights));
            assert_eq!(bits(&d.tract_lengths), bits(&c.tract_lengths));
            // another key, a truncated or extended entry, another version
            assert!(decode(&e, &hash(b"other"), "x.zip").is_none());
            assert!(decode(&e[..e.len() - 1], &key, "x.zip").is_none());
            let mut longer = e.clone();
            longer.push(0);
            assert!(decode(&longer, &key, "x.zip").is_none());
            let mut v2 = e.clone();
            v2[7] = 2;
            assert!(decode(&v2, &key, "x.zip").is_none());
            // a value that is not a connectome's (NaN) is refused too
            let mut nan = e.clone();
            nan[56..64].copy_from_slice(&f64::NAN.to_le_bytes());
            assert!(decode(&nan, &key, "x.zip").is_none());
        }
    }
}
