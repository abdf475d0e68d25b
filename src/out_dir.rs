//! The output folder (`--out`): a run or a sweep does not write into a
//! folder that holds another run's files unless told to (`--force`).
//!
//! What counts as another run's files:
//! - the record a run leaves, `OUT/.brainstream-run` (JSON: the version,
//!   the command, the graph file, the hash of the graph as run with its
//!   overrides, when it started, and the files it wrote), naming another
//!   graph or other overrides. The same run again (same hash: a re-run, the
//!   partitions of one run) rewrites its own files;
//! - a sweep's `rows.jsonl` (its first line names the sweep), for a run;
//!   for a sweep, the sweep's own check decides: the same sweep resumes,
//!   another is refused;
//! - without a record, HDF5 files that brainstream wrote (they name it in
//!   their `version` attribute, in the file's first MiB), e.g. a run from
//!   the Python package or an older brainstream.
//!
//! Anything else (a user's notes, data, other programs' files) does not
//! count, and nothing is ever removed: `--force` writes over files of the
//! same names and replaces the record, and leaves the rest as it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The record a run leaves in its output folder.
pub const RECORD: &str = ".brainstream-run";

/// What is about to write into the folder.
pub enum Writer<'a> {
    /// A run of `graph_file`, identified by the hash of its graph with
    /// overrides ([`brainstream::ValidGraph::hash`]).
    Run { graph_file: &'a Path, hash: &'a str },
    /// A sweep (its `rows.jsonl` identifies it).
    Sweep,
}

/// Refuses `out` when it holds another run's files (see the module), unless
/// `force`, where it says what will be written over. Reads only.
pub fn check(out: &Path, me: &Writer, force: bool) -> Result<(), String> {
    let Some(what) = other_run(out, me) else {
        return Ok(());
    };
    if force {
        eprintln!(
            "warning: {} holds {what}; --force: files of the same names are replaced, nothing else is removed",
            out.display()
        );
        return Ok(());
    }
    Err(format!(
        "{} holds {what}; nothing was written.\n  hint: choose another --out, or give --force to write over them (files of the same names are replaced, nothing else is removed)",
        out.display()
    ))
}

/// What of another run `out` holds, in words, if anything.
fn other_run(out: &Path, me: &Writer) -> Option<String> {
    if !out.is_dir() {
        return None;
    }
    let record = out.join(RECORD);
    if record.exists() {
        let r: Option<Value> = std::fs::read_to_string(&record)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let Some(r) = r else {
            return Some(format!(
                "a {RECORD} that is not a run's record (unreadable JSON)"
            ));
        };
        if let Writer::Run { hash, .. } = me {
            if r["hash"].as_str() == Some(hash) {
                return None;
            }
        }
        let graph = r["graph_file"].as_str().unwrap_or("?");
        let mut files: Vec<String> = r["files"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str())
                    .filter(|f| out.join(f).exists())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if files.is_empty() {
            files = outputs_in(out);
        }
        let when = r["started"]
            .as_u64()
            .map(|s| format!(", started {}", ago(s)))
            .unwrap_or_default();
        let how = if matches!(me, Writer::Run { graph_file, .. } if graph_file.display().to_string() == graph)
        {
            "another run of the same graph with other settings (--set, or the file changed)"
                .to_string()
        } else {
            format!("another run's files (of {graph})")
        };
        return Some(format!("{how}{when}: {}", listed(&files)));
    }
    if let Some(sweep) = brainstream::sweep::output::sweep_in(out) {
        return match me {
            Writer::Sweep => None,
            Writer::Run { .. } => Some(format!(
                "a sweep's files (of {sweep}): {}",
                listed(&outputs_in(out))
            )),
        };
    }
    let h5: Vec<String> = entries(out)
        .into_iter()
        .filter(|p| written_by_brainstream(p))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    (!h5.is_empty()).then(|| {
        format!(
            "HDF5 files brainstream wrote, with no record of the run (the Python package, or an older brainstream): {}",
            listed(&h5)
        )
    })
}

/// The record of a run in its output folder, and what the folder held
/// before the run (to tell the files the run wrote from the others).
pub struct Record {
    out: PathBuf,
    before: BTreeMap<PathBuf, (Option<SystemTime>, u64)>,
}

/// The files of `out` with their modification time and size.
fn state(out: &Path) -> BTreeMap<PathBuf, (Option<SystemTime>, u64)> {
    entries(out)
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(&p).ok();
            let st = (
                m.as_ref().and_then(|m| m.modified().ok()),
                m.map_or(0, |m| m.len()),
            );
            (p, st)
        })
        .collect()
}

/// Writes the record of a run about to write into `out` (creating `out`).
pub fn record(out: &Path, graph_file: &Path, hash: &str) -> Result<Record, String> {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let before = state(out);
    write_record(
        out,
        &json!({
            "brainstream": env!("CARGO_PKG_VERSION"),
            "command": "run",
            "graph_file": graph_file.display().to_string(),
            "hash": hash,
            "started": started,
            "files": [],
        }),
    )?;
    Ok(Record {
        out: out.to_path_buf(),
        before,
    })
}

impl Record {
    /// Adds to the record the files the run wrote (new in the folder, or
    /// changed since it started), and returns them.
    pub fn finish(&self) -> Vec<PathBuf> {
        let files: Vec<PathBuf> = state(&self.out)
            .into_iter()
            .filter(|(p, st)| self.before.get(p) != Some(st))
            .map(|(p, _)| p)
            .collect();
        let path = self.out.join(RECORD);
        let Some(mut r) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            return files;
        };
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        r["files"] = json!(names);
        if let Err(e) = write_record(&self.out, &r) {
            tracing::warn!("{e}");
        }
        files
    }
}

fn write_record(out: &Path, r: &Value) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join(RECORD);
    let tmp = out.join(format!("{RECORD}.{}", std::process::id()));
    let text = serde_json::to_string_pretty(r).unwrap_or_default();
    std::fs::write(&tmp, text + "\n")
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The plain files of `out` (not the record), sorted.
pub fn entries(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| !n.to_string_lossy().starts_with(RECORD))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The names of what brainstream writes found in `out`: HDF5, figures,
/// logs, a sweep's table and rows.
fn outputs_in(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = entries(out)
        .into_iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| {
            [".h5", ".png", ".svg", ".log", ".jsonl"]
                .iter()
                .any(|e| n.ends_with(e))
        })
        .collect();
    if out.join("series").is_dir() {
        v.push("series/".into());
    }
    v
}

/// Whether `p` is an HDF5 file that names brainstream as its writer.
fn written_by_brainstream(p: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(p) else {
        return false;
    };
    let mut head = Vec::with_capacity(1 << 16);
    if f.take(1 << 20).read_to_end(&mut head).is_err() {
        return false;
    }
    head.starts_with(b"\x89HDF\r\n\x1a\n") && head.windows(12).any(|w| w == b"brainstream ")
}

/// Up to six names, then how many more.
fn listed(names: &[String]) -> String {
    if names.is_empty() {
        return "(its files are gone)".into();
    }
    let shown = names.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
    match names.len() {
        n if n > 6 => format!("{shown} and {} more", n - 6),
        _ => shown,
    }
}

/// How long ago a time (seconds since 1970) was, in words.
fn ago(secs: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let d = now.saturating_sub(secs);
    match d {
        0..=119 => format!("{d} s ago"),
        120..=7199 => format!("{} min ago", d / 60),
        7200..=172_799 => format!("{} h ago", d / 3600),
        _ => format!("{} days ago", d / 86_400),
    }
}
