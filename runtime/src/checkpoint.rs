//! Checkpoints: every actor's state, and what its delayed edges hold, at a
//! window boundary, so that a run can stop and later continue to the same
//! bits as a run that never stopped.
//!
//! A checkpoint taken at boundary `W` (the start of window `W`, time
//! `W·window_steps·dt` ms) is a folder `OUT/checkpoints/t=<ms>ms/` holding
//! one file per process: `all.ckpt` (a run in one process) or
//! `<partition>.ckpt`. Each file is
//!
//! ```text
//! brainstream checkpoint\n          the magic line
//! {JSON header}\n                   [`Header`]: format version, brainstream version,
//!                                   graph hash, graph file and overrides, W
//! body                              binary ([`StateWriter`]): per local actor its name,
//!                                   kind, state and steered values; per input edge its
//!                                   position and the samples it holds for windows ≥ W
//! ```
//!
//! An actor's steered values are the parameters changed during the run
//! (from the live view, `brainstream steer`, `--replay` or a `control`
//! input: [`Steered`]), each with its value at `W`, in the order of their
//! last change; resuming sets them again after the actor's `start`, before
//! window `W`. Format 1 (before steered values were saved) has none: it is
//! read, but refused when an actor it resumes has a `control` input (its
//! steered values would be lost).
//!
//! The cut is consistent without stopping the other threads: each actor
//! saves its own state when it reaches boundary `W` (after its window
//! `W − 1`), and each of its delayed input edges takes in, first, every
//! message its producer sent for windows before `W` (a delayed edge may lag
//! its producer, never lead it: [`needed_before`](crate::graph::slack::needed_before)).
//! What an edge holds then is exactly what windows `≥ W` of its consumer
//! will read from the producer's windows `< W`.
//!
//! Actors opt in through [`Actor::stateful`](crate::Actor::stateful); a
//! kind that cannot save its state (an external simulator such as NEST)
//! makes a checkpointed run refuse before any work, by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::ActorError;
use crate::hook::Steered;
use crate::payload::{NodeSpace, Series, SeriesMeta, Spikes};

/// Version of the checkpoint format written: 2 saves each actor's steered
/// values after its state. Formats [`READS`] are read; others are refused.
pub const FORMAT: u32 = 2;
/// The formats read: 1 (no steered values) and 2.
pub const READS: [u32; 2] = [1, 2];
/// brainstream's version, written in every checkpoint: a checkpoint of
/// another version is refused (actor states may differ between versions).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAGIC: &[u8] = b"brainstream checkpoint\n";

/// An actor that can save its state at a window boundary and continue from
/// it: `restore_state` is called before [`Actor::start`](crate::Actor::start)
/// (which then reopens or rebuilds what it needs from it), `save_state`
/// between two windows. A state saved after window `W − 1`, restored into
/// an actor built from the same graph, must make windows `W, W + 1, …` give
/// the same bits as the run that saved it.
pub trait Stateful {
    /// Everything windows after this point depend on (flushing files first).
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError>;
    /// Takes a state `save_state` returned (before `start`).
    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError>;
}

/// Why a checkpoint cannot be written or used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Actors whose kind cannot save its state: (name, kind, why).
    #[error("{} cannot save {}, so this run cannot be checkpointed", list_actors(.0), if .0.len() == 1 { "its state" } else { "their states" })]
    NotStateful(Vec<(String, String, Option<String>)>),
    /// The file is not a checkpoint, or is damaged.
    #[error("{path}: {message}")]
    Bad { path: PathBuf, message: String },
    /// Written by another format or version of brainstream.
    #[error("{path}: a checkpoint of {what}, this is brainstream {VERSION} (checkpoint format {FORMAT}, reads formats 1 and 2); resume it with that version, or run the graph again")]
    Version { path: PathBuf, what: String },
    /// A checkpoint of format 1 (no steered values) of a run whose actor
    /// was steered by a `control` input.
    #[error("{path}: a checkpoint of format 1 holds no steered values, and actor `{actor}` is steered by a `control` input (from `{producer}`): resumed, it would continue with the graph's values instead of those it was steered to; run the graph again (format {FORMAT} keeps them)")]
    LostSteering {
        path: PathBuf,
        actor: String,
        producer: String,
    },
    /// Taken from another graph (or the graph file changed since).
    #[error("{path}: the checkpoint was taken from another graph (hash {saved}, this graph {now}{}); resume it with the graph, and the --set overrides, it was taken from", file.as_ref().map(|f| format!(", from {}", f.display())).unwrap_or_default())]
    Graph {
        path: PathBuf,
        saved: String,
        now: String,
        file: Option<PathBuf>,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn list_actors(v: &[(String, String, Option<String>)]) -> String {
    let one = |(a, k, why): &(String, String, Option<String>)| {
        format!(
            "`{a}` (kind `{k}`{})",
            why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
        )
    };
    let names: Vec<String> = v.iter().map(one).collect();
    format!(
        "actor{} {}",
        if v.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
}

/// What a checkpoint file says about itself (its JSON line).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// [`FORMAT`] of the writer.
    pub format: u32,
    /// [`VERSION`] of the writer.
    pub brainstream: String,
    /// [`ValidGraph::hash`](crate::ValidGraph::hash) of the graph as run.
    pub graph_hash: String,
    /// The graph file (absolute), if the graph came from one.
    pub graph_file: Option<PathBuf>,
    /// Its `--set` overrides, in order.
    pub overrides: Vec<String>,
    /// The partition this file holds (None: every actor).
    pub partition: Option<String>,
    /// The boundary: the first window still to compute.
    pub window: u64,
    /// Its time, ms.
    pub time_ms: f64,
    /// The output folder of the run that wrote it (absolute).
    pub out_dir: PathBuf,
}

/// One checkpoint file, read.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The file it was read from.
    pub path: PathBuf,
    pub header: Header,
    /// By actor name: (kind, state).
    pub actors: BTreeMap<String, (String, Vec<u8>)>,
    /// By actor name: the values its parameters had been steered to (none
    /// in a checkpoint of format 1).
    pub steered: BTreeMap<String, Steered>,
    /// By edge index in the graph.
    pub(crate) edges: BTreeMap<u32, EdgeState>,
}

/// What one input edge holds at a boundary.
#[derive(Debug, Clone, Default)]
pub(crate) struct EdgeState {
    /// the next producer window it expects
    pub(crate) next: u64,
    pub(crate) series: Option<Series>,
    pub(crate) spikes: Spikes,
    pub(crate) is_spikes: bool,
}

/// A compact binary writer of states: fixed-width little-endian numbers
/// (floats by their bits, so that a state is restored to the bit),
/// length-prefixed sequences.
#[derive(Debug, Default)]
pub struct StateWriter {
    buf: Vec<u8>,
}

impl StateWriter {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.u8(v as u8);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    pub fn f32(&mut self, v: f32) {
        self.u32(v.to_bits());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.usize(v.len());
        self.buf.extend_from_slice(v);
    }
    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    pub fn f64s(&mut self, v: &[f64]) {
        self.usize(v.len());
        for x in v {
            self.f64(*x);
        }
    }
    pub fn f32s(&mut self, v: &[f32]) {
        self.usize(v.len());
        for x in v {
            self.f32(*x);
        }
    }
    pub fn u64s(&mut self, v: &[u64]) {
        self.usize(v.len());
        for x in v {
            self.u64(*x);
        }
    }
    pub fn u32s(&mut self, v: &[u32]) {
        self.usize(v.len());
        for x in v {
            self.u32(*x);
        }
    }
    pub fn strs(&mut self, v: &[String]) {
        self.usize(v.len());
        for x in v {
            self.str(x);
        }
    }
    /// An optional f64.
    pub fn opt_f64(&mut self, v: Option<f64>) {
        self.bool(v.is_some());
        if let Some(x) = v {
            self.f64(x);
        }
    }
    /// A series (values, stamps, times and axes).
    pub fn series(&mut self, s: &Series) {
        self.u64s(&s.stamps);
        self.f64s(&s.times_ms);
        let sh = s.data.shape();
        self.usize(sh[1]);
        self.usize(sh[2]);
        let flat: Vec<f64> = s.data.iter().copied().collect();
        self.f64s(&flat);
        let m = &s.meta;
        self.strs(&m.variables);
        self.strs(&m.nodes);
        self.strs(&m.units);
        match &m.space {
            NodeSpace::Regions => self.u8(0),
            NodeSpace::Sensors {
                modality,
                positions,
            } => {
                self.u8(1);
                self.str(modality);
                let flat: Vec<f64> = positions.iter().flatten().copied().collect();
                self.f64s(&flat);
            }
        }
    }
    /// Spikes.
    pub fn spikes(&mut self, s: &Spikes) {
        self.u32s(&s.senders);
        self.f64s(&s.times_ms);
        self.u64s(&s.stamps);
    }
    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads what a [`StateWriter`] wrote, in the same order; a state too
/// short, or with bytes left over, is an error naming `what`.
#[derive(Debug)]
pub struct StateReader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'a str,
}

impl<'a> StateReader<'a> {
    /// Reads `buf`, the state of `what` (named in errors).
    pub fn new(buf: &'a [u8], what: &'a str) -> Self {
        Self { buf, pos: 0, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], ActorError> {
        if self.buf.len() - self.pos < n {
            return Err(ActorError::new(format!(
                "the saved state of {} is truncated (at byte {} of {}): the checkpoint is damaged",
                self.what,
                self.pos,
                self.buf.len()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, ActorError> {
        Ok(self.take(1)?[0])
    }
    pub fn bool(&mut self) -> Result<bool, ActorError> {
        Ok(self.u8()? != 0)
    }
    pub fn u32(&mut self) -> Result<u32, ActorError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64, ActorError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// A length or index, checked against what is left (each element at
    /// least `min_bytes` long), so that a damaged length cannot allocate.
    fn len(&mut self, min_bytes: usize) -> Result<usize, ActorError> {
        let n = self.u64()?;
        let left = (self.buf.len() - self.pos) as u64;
        if n.saturating_mul(min_bytes.max(1) as u64) > left && min_bytes > 0 {
            return Err(ActorError::new(format!(
                "the saved state of {} holds a length of {n} where {left} bytes are left: the checkpoint is damaged",
                self.what
            )));
        }
        Ok(n as usize)
    }
    pub fn usize(&mut self) -> Result<usize, ActorError> {
        usize::try_from(self.u64()?).map_err(|_| ActorError::new("a saved size is too large"))
    }
    pub fn f64(&mut self) -> Result<f64, ActorError> {
        Ok(f64::from_bits(self.u64()?))
    }
    pub fn f32(&mut self) -> Result<f32, ActorError> {
        Ok(f32::from_bits(self.u32()?))
    }
    pub fn bytes(&mut self) -> Result<Vec<u8>, ActorError> {
        let n = self.len(1)?;
        Ok(self.take(n)?.to_vec())
    }
    pub fn str(&mut self) -> Result<String, ActorError> {
        String::from_utf8(self.bytes()?)
            .map_err(|_| ActorError::new(format!("the saved state of {} is damaged", self.what)))
    }
    pub fn f64s(&mut self) -> Result<Vec<f64>, ActorError> {
        let n = self.len(8)?;
        (0..n).map(|_| self.f64()).collect()
    }
    pub fn f32s(&mut self) -> Result<Vec<f32>, ActorError> {
        let n = self.len(4)?;
        (0..n).map(|_| self.f32()).collect()
    }
    pub fn u64s(&mut self) -> Result<Vec<u64>, ActorError> {
        let n = self.len(8)?;
        (0..n).map(|_| self.u64()).collect()
    }
    pub fn u32s(&mut self) -> Result<Vec<u32>, ActorError> {
        let n = self.len(4)?;
        (0..n).map(|_| self.u32()).collect()
    }
    pub fn strs(&mut self) -> Result<Vec<String>, ActorError> {
        let n = self.len(8)?;
        (0..n).map(|_| self.str()).collect()
    }
    pub fn opt_f64(&mut self) -> Result<Option<f64>, ActorError> {
        Ok(if self.bool()? {
            Some(self.f64()?)
        } else {
            None
        })
    }
    pub fn series(&mut self) -> Result<Series, ActorError> {
        let stamps = self.u64s()?;
        let times_ms = self.f64s()?;
        let (nv, nn) = (self.usize()?, self.usize()?);
        let flat = self.f64s()?;
        let data = ndarray::Array3::from_shape_vec((stamps.len(), nv, nn), flat).map_err(|e| {
            ActorError::new(format!("the saved series of {} is damaged: {e}", self.what))
        })?;
        let variables = self.strs()?;
        let nodes = self.strs()?;
        let units = self.strs()?;
        let space = match self.u8()? {
            0 => NodeSpace::Regions,
            _ => {
                let modality = self.str()?;
                let flat = self.f64s()?;
                NodeSpace::Sensors {
                    modality,
                    positions: flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(),
                }
            }
        };
        Ok(Series {
            stamps,
            times_ms,
            data,
            meta: Arc::new(SeriesMeta {
                variables,
                nodes,
                units,
                space,
            }),
        })
    }
    pub fn spikes(&mut self) -> Result<Spikes, ActorError> {
        Ok(Spikes {
            senders: self.u32s()?,
            times_ms: self.f64s()?,
            stamps: self.u64s()?,
        })
    }
    /// Checks that the whole state was read.
    pub fn end(&self) -> Result<(), ActorError> {
        if self.pos != self.buf.len() {
            return Err(ActorError::new(format!(
                "the saved state of {} has {} bytes more than this version reads: the checkpoint is damaged or of another version",
                self.what,
                self.buf.len() - self.pos
            )));
        }
        Ok(())
    }
}

/// Folder name of the checkpoint at `time_ms`: `t=<ms>ms`.
pub fn folder_name(time_ms: f64) -> String {
    format!("t={}ms", (time_ms * 1e6).round() / 1e6)
}

/// File name of one process's part of a checkpoint.
pub fn file_name(partition: Option<&str>) -> String {
    format!("{}.ckpt", partition.unwrap_or("all"))
}

fn bad(path: &Path, m: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Bad {
        path: path.to_path_buf(),
        message: m.to_string(),
    }
}

/// Reads the header of one checkpoint file, checking its format and
/// version (not its graph).
pub fn read_header(path: &Path) -> Result<(Header, Vec<u8>), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| {
        bad(
            path,
            "not a brainstream checkpoint (no `brainstream checkpoint` line)",
        )
    })?;
    let nl = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| bad(path, "damaged: no header line"))?;
    let v: serde_json::Value = serde_json::from_slice(&rest[..nl])
        .map_err(|e| bad(path, format!("damaged header: {e}")))?;
    let format = v.get("format").and_then(|f| f.as_u64());
    let version = v.get("brainstream").and_then(|f| f.as_str()).unwrap_or("?");
    let known = format.is_some_and(|f| READS.iter().any(|r| *r as u64 == f));
    if !known || version != VERSION {
        return Err(CheckpointError::Version {
            path: path.to_path_buf(),
            what: format!(
                "brainstream {version} (checkpoint format {})",
                format.map_or("?".to_string(), |f| f.to_string())
            ),
        });
    }
    let h: Header =
        serde_json::from_value(v).map_err(|e| bad(path, format!("damaged header: {e}")))?;
    Ok((h, rest[nl + 1..].to_vec()))
}

/// Reads one checkpoint file whole.
pub fn read(path: &Path) -> Result<Saved, CheckpointError> {
    let (header, body) = read_header(path)?;
    let what = path.display().to_string();
    let parse = || -> Result<Saved, ActorError> {
        let mut r = StateReader::new(&body, &what);
        let mut actors = BTreeMap::new();
        let mut steered = BTreeMap::new();
        for _ in 0..r.usize()? {
            let name = r.str()?;
            let kind = r.str()?;
            let state = r.bytes()?;
            if header.format >= 2 {
                let mut s = Steered::default();
                for _ in 0..r.usize()? {
                    let key = r.str()?;
                    s.set(&key, r.f64()?);
                }
                steered.insert(name.clone(), s);
            }
            actors.insert(name, (kind, state));
        }
        let mut edges = BTreeMap::new();
        for _ in 0..r.usize()? {
            let k = r.u32()?;
            let next = r.u64()?;
            let is_spikes = r.bool()?;
            let series = if r.bool()? { Some(r.series()?) } else { None };
            let spikes = r.spikes()?;
            edges.insert(
                k,
                EdgeState {
                    next,
                    series,
                    spikes,
                    is_spikes,
                },
            );
        }
        r.end()?;
        Ok(Saved {
            path: path.to_path_buf(),
            header: header.clone(),
            actors,
            steered,
            edges,
        })
    };
    parse().map_err(|e| bad(path, e))
}

/// The checkpoint files of a checkpoint folder (or the one file given).
pub fn files(path: &Path) -> Result<Vec<PathBuf>, CheckpointError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let rd = std::fs::read_dir(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ckpt"))
        .collect();
    v.sort();
    if v.is_empty() {
        return Err(bad(path, "holds no checkpoint (*.ckpt) file"));
    }
    Ok(v)
}

/// One lane's part of a checkpoint in the making.
struct LanePart {
    name: String,
    kind: String,
    state: Vec<u8>,
    steered: Steered,
    edges: Vec<(u32, EdgeState)>,
}

/// When Ctrl-C (or `--stop-at`) stops the run: the boundary every actor
/// stops at, and the furthest window any actor has begun.
#[derive(Debug, Default)]
struct Stop {
    at: Option<u64>,
    begun: u64,
}

/// Checkpoints of one run: when to write them, where, and (resuming) the
/// checkpoint it starts from. Shared by the run's threads.
#[derive(Default)]
pub struct Checkpointing {
    /// A checkpoint every this many ms of simulated time (rounded up to
    /// whole windows); None: only at `stop_at_ms` or on Ctrl-C.
    pub every_ms: Option<f64>,
    /// Stop at the first boundary at or after this time (ms), with a
    /// checkpoint.
    pub stop_at_ms: Option<f64>,
    /// Folder the checkpoint folders go in (`OUT/checkpoints`).
    pub dir: PathBuf,
    /// The graph file (absolute) and overrides, written in the headers.
    pub graph_file: Option<PathBuf>,
    pub overrides: Vec<String>,
    /// The checkpoint to continue from.
    pub resume: Option<Saved>,
    run: Mutex<RunSide>,
    stop: Mutex<Stop>,
}

impl std::fmt::Debug for Checkpointing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointing")
            .field("every_ms", &self.every_ms)
            .field("stop_at_ms", &self.stop_at_ms)
            .field("dir", &self.dir)
            .finish()
    }
}

/// What the run tells the checkpoints when it starts, and the parts
/// gathered so far.
#[derive(Default)]
struct RunSide {
    every: u64,
    first: u64,
    n_windows: u64,
    window_ms: f64,
    lanes: usize,
    header: Option<Header>,
    parts: BTreeMap<u64, Vec<LanePart>>,
    written: Vec<(u64, PathBuf)>,
    error: Option<String>,
}

/// What a lane does at a boundary.
pub(crate) struct AtBoundary {
    pub(crate) save: bool,
    pub(crate) stop: bool,
}

impl Checkpointing {
    /// Checkpoints written to `OUT/checkpoints`.
    pub fn new(out_dir: &Path) -> Self {
        Self {
            dir: out_dir.join("checkpoints"),
            ..Default::default()
        }
    }

    /// Called by the run before any actor starts: the run's windows, its
    /// header, how many actors run here. Returns the first window.
    #[allow(clippy::too_many_arguments)]
    fn attach(
        &self,
        window_steps: u64,
        dt_ms: f64,
        n_windows: u64,
        lanes: usize,
        graph_hash: &str,
        partition: Option<&str>,
        out_dir: &Path,
    ) -> u64 {
        let window_ms = window_steps as f64 * dt_ms;
        let whole = |ms: f64| ((ms / window_ms) - 1e-9).ceil().max(1.0) as u64;
        let first = self.resume.as_ref().map_or(0, |s| s.header.window);
        let mut r = self.run.lock().unwrap_or_else(|e| e.into_inner());
        r.every = self.every_ms.map_or(0, whole);
        r.first = first;
        r.n_windows = n_windows;
        r.window_ms = window_ms;
        r.lanes = lanes;
        r.header = Some(Header {
            format: FORMAT,
            brainstream: VERSION.to_string(),
            graph_hash: graph_hash.to_string(),
            graph_file: self.graph_file.clone(),
            overrides: self.overrides.clone(),
            partition: partition.map(String::from),
            window: 0,
            time_ms: 0.0,
            out_dir: std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf()),
        });
        if let Some(t) = self.stop_at_ms {
            let w = whole(t);
            if w > first && w < n_windows {
                let mut s = self.stop.lock().unwrap_or_else(|e| e.into_inner());
                s.at = Some(w);
            }
        }
        let mut s = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        s.begun = first;
        first
    }

    /// Before the run: every actor of this process must save its state
    /// (refused by name otherwise); resuming, the checkpoint must be of
    /// this graph and partition, and every actor takes its saved state.
    /// Returns the first window.
    pub(crate) fn prepare(
        &self,
        graph: &mut crate::ValidGraph,
        local: &[bool],
        partition: Option<&str>,
        graph_hash: &str,
        out_dir: &Path,
    ) -> Result<u64, CheckpointError> {
        let n_windows = graph.n_windows();
        let mut cannot = vec![];
        for (a, _) in graph.actors.iter_mut().zip(local).filter(|(_, l)| **l) {
            let why = if let Some(p) = a.actor.pipelined() {
                Some(format!("its windows are computed by {}", p.computed_by()))
            } else if a.actor.stateful().is_none() {
                None
            } else {
                continue;
            };
            cannot.push((a.name.clone(), a.kind.name.to_string(), why));
        }
        if !cannot.is_empty() {
            return Err(CheckpointError::NotStateful(cannot));
        }
        if let Some(s) = &self.resume {
            let h = &s.header;
            if h.graph_hash != graph_hash {
                return Err(CheckpointError::Graph {
                    path: s.path.clone(),
                    saved: h.graph_hash.clone(),
                    now: graph_hash.to_string(),
                    file: h.graph_file.clone(),
                });
            }
            if h.partition.as_deref() != partition {
                return Err(bad(
                    &s.path,
                    format!(
                        "holds the state of {}, not of {}",
                        h.partition
                            .as_deref()
                            .map_or("a whole run".to_string(), |p| format!("partition `{p}`")),
                        partition.map_or("a whole run".to_string(), |p| format!("partition `{p}`"))
                    ),
                ));
            }
            if h.format < 2 {
                let fed = graph.edges.iter().find(|e| {
                    e.ty == crate::payload::PortType::Control && local.get(e.to) == Some(&true)
                });
                if let Some(e) = fed {
                    return Err(CheckpointError::LostSteering {
                        path: s.path.clone(),
                        actor: graph.actors[e.to].name.clone(),
                        producer: format!("{}.{}", graph.actors[e.from].name, e.from_port),
                    });
                }
            }
            if h.window == 0 || h.window >= n_windows {
                return Err(bad(
                    &s.path,
                    format!(
                        "its window {} is not inside this run's {n_windows} windows",
                        h.window
                    ),
                ));
            }
            for (a, _) in graph.actors.iter_mut().zip(local).filter(|(_, l)| **l) {
                let Some((kind, state)) = s.actors.get(&a.name) else {
                    return Err(bad(
                        &s.path,
                        format!("holds no state of actor `{}`", a.name),
                    ));
                };
                if kind != a.kind.name {
                    return Err(bad(
                        &s.path,
                        format!(
                            "actor `{}` was of kind `{kind}`, it is `{}` now",
                            a.name, a.kind.name
                        ),
                    ));
                }
                if let Some(st) = a.actor.stateful() {
                    st.restore_state(state)
                        .map_err(|e| bad(&s.path, format!("actor `{}`: {e}", a.name)))?;
                }
            }
        }
        let lanes = local.iter().filter(|l| **l).count();
        Ok(self.attach(
            graph.window_steps,
            graph.dt_ms,
            n_windows,
            lanes,
            graph_hash,
            partition,
            out_dir,
        ))
    }

    /// A lane reached boundary `w` (about to begin window `w`): whether it
    /// saves its state there, and whether it stops.
    pub(crate) fn boundary(&self, w: u64) -> AtBoundary {
        let (every, first, n_windows) = {
            let r = self.run.lock().unwrap_or_else(|e| e.into_inner());
            (r.every, r.first, r.n_windows)
        };
        let mut s = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        let stop = s.at == Some(w);
        if !stop {
            s.begun = s.begun.max(w);
        }
        let periodic = every > 0 && w > first && w < n_windows && w.is_multiple_of(every);
        AtBoundary {
            save: stop || periodic,
            stop,
        }
    }

    /// Asks every actor to stop at the next boundary none has passed, with
    /// a checkpoint there (Ctrl-C). None: the run is in its last window
    /// (it ends instead) or already stopping.
    pub fn request_stop(&self) -> Option<u64> {
        let n_windows = self.run.lock().map(|r| r.n_windows).unwrap_or(0);
        let mut s = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = s.at {
            return Some(at);
        }
        let at = s.begun + 1;
        if at >= n_windows {
            return None;
        }
        s.at = Some(at);
        Some(at)
    }

    /// The boundary the run stops at, if it does.
    pub fn stop_window(&self) -> Option<u64> {
        self.stop.lock().ok().and_then(|s| s.at)
    }

    /// The checkpoints written so far: (boundary window, folder).
    pub fn written(&self) -> Vec<(u64, PathBuf)> {
        self.run
            .lock()
            .map(|r| r.written.clone())
            .unwrap_or_default()
    }

    /// The first error writing a checkpoint, if any.
    pub fn error(&self) -> Option<String> {
        self.run.lock().ok().and_then(|r| r.error.clone())
    }

    /// One lane's state at boundary `w`; the last lane of the process to
    /// give its part writes the file.
    pub(crate) fn deposit(
        &self,
        w: u64,
        name: &str,
        kind: &str,
        state: Vec<u8>,
        steered: Steered,
        edges: Vec<(u32, EdgeState)>,
    ) -> Result<(), String> {
        let mut r = self.run.lock().unwrap_or_else(|e| e.into_inner());
        let lanes = r.lanes;
        let parts = r.parts.entry(w).or_default();
        parts.push(LanePart {
            name: name.to_string(),
            kind: kind.to_string(),
            state,
            steered,
            edges,
        });
        if parts.len() < lanes {
            return Ok(());
        }
        let parts = r.parts.remove(&w).unwrap_or_default();
        let mut header = r
            .header
            .clone()
            .ok_or("checkpoint: the run did not attach")?;
        header.window = w;
        header.time_ms = w as f64 * r.window_ms;
        let folder = self.dir.join(folder_name(header.time_ms));
        let path = folder.join(file_name(header.partition.as_deref()));
        let res = write_file(&path, &header, &parts);
        match res {
            Ok(()) => {
                tracing::info!(path = %path.display(), window = w, "checkpoint written");
                r.written.push((w, folder));
                Ok(())
            }
            Err(e) => {
                let m = format!("cannot write the checkpoint {}: {e}", path.display());
                r.error.get_or_insert(m.clone());
                Err(m)
            }
        }
    }
}

fn write_file(path: &Path, header: &Header, parts: &[LanePart]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut w = StateWriter::new();
    let mut parts: Vec<&LanePart> = parts.iter().collect();
    parts.sort_by(|a, b| a.name.cmp(&b.name));
    w.usize(parts.len());
    for p in &parts {
        w.str(&p.name);
        w.str(&p.kind);
        w.bytes(&p.state);
        w.usize(p.steered.0.len());
        for (key, value) in &p.steered.0 {
            w.str(key);
            w.f64(*value);
        }
    }
    let mut edges: Vec<&(u32, EdgeState)> = parts.iter().flat_map(|p| &p.edges).collect();
    edges.sort_by_key(|e| e.0);
    w.usize(edges.len());
    for (k, e) in edges {
        w.u32(*k);
        w.u64(e.next);
        w.bool(e.is_spikes);
        w.bool(e.series.is_some());
        if let Some(s) = &e.series {
            w.series(s);
        }
        w.spikes(&e.spikes);
    }
    let mut bytes = MAGIC.to_vec();
    bytes.extend(serde_json::to_vec(header).map_err(std::io::Error::other)?);
    bytes.push(b'\n');
    bytes.extend(w.finish());
    // whole or not at all: a run killed while writing leaves the last one
    let tmp = path.with_extension("ckpt.partial");
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, path)
}
