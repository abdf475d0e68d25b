//! Errors of the runtime.

use std::path::PathBuf;

/// An error raised by an actor while it runs: the message, and the window
/// it happened in where that is not the window the actor was called for
/// (None: that one).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ActorError(pub String, pub Option<u64>);

impl ActorError {
    /// From anything printable.
    pub fn new(msg: impl std::fmt::Display) -> Self {
        Self(msg.to_string(), None)
    }

    /// The error happened in window `window` (0-based), though it is
    /// reported later: e.g. found while stepping that window and returned
    /// when the next one starts, or from `finish`.
    pub fn in_window(mut self, window: u64) -> Self {
        self.1 = Some(window);
        self
    }
}

/// One problem found in a graph file, located as precisely as possible.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphIssue {
    /// The graph file.
    pub file: PathBuf,
    /// 1-based line and column, where known.
    pub line_col: Option<(usize, usize)>,
    /// Dotted key path, e.g. `actors.brain.model`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl std::fmt::Display for GraphIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((l, c)) = self.line_col {
            write!(f, ":{l}:{c}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Errors of loading, validating or running a graph.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The graph file could not be read.
    #[error("cannot read graph file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The graph is invalid; every problem found is listed.
    #[error("{}", fmt_issues(.0))]
    Invalid(Vec<GraphIssue>),
    /// A `--set key=value` override is malformed.
    #[error("--set {arg}: {message}")]
    Override { arg: String, message: String },
    /// An actor failed while running.
    #[error("actor `{actor}` failed in window {window} (t = {} ms): {message}", (time_ms * 1e6).round() / 1e6)]
    ActorFailed {
        actor: String,
        window: u64,
        time_ms: f64,
        message: String,
    },
    /// The run was stopped from outside (a signal, the launcher) before its
    /// end; every actor finished, recorders closed their files.
    #[error(
        "stopped by {cause} in window {window} (t = {} ms); {}",
        (time_ms * 1e6).round() / 1e6,
        recorded(out, *complete_ms)
    )]
    Stopped {
        /// Who stopped it: `SIGINT`, `SIGTERM`, `the launcher (why)`.
        cause: String,
        /// The furthest window any actor of this process had reached.
        window: u64,
        /// Start of that window, ms.
        time_ms: f64,
        /// The output folder.
        out: PathBuf,
        /// Every recording of this process holds everything before this
        /// time, ms (None: nothing recorded).
        complete_ms: Option<f64>,
    },
    /// Stopped from outside (Ctrl-C, SIGTERM) at a window boundary, with
    /// a checkpoint there.
    #[error(
        "stopped by {cause} at t = {} ms with a checkpoint in {}; recordings in {} are complete up to there\n  continue with: brainstream resume {} --out {}",
        (time_ms * 1e6).round() / 1e6,
        path.display(),
        out.display(),
        path.display(),
        out.display()
    )]
    Checkpointed {
        cause: String,
        time_ms: f64,
        /// The checkpoint's folder.
        path: PathBuf,
        out: PathBuf,
    },
    /// A checkpoint cannot be written or used.
    #[error(transparent)]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
    /// `--partition` names no partition of the graph.
    #[error("partition `{name}` is not in the graph (partitions: {known})")]
    UnknownPartition { name: String, known: String },
    /// The output directory could not be created.
    #[error("cannot create output directory {path}: {source}")]
    OutDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn recorded(out: &std::path::Path, complete_ms: Option<f64>) -> String {
    match complete_ms {
        Some(t) => format!(
            "recordings in {} are complete up to t = {} ms",
            out.display(),
            (t * 1e6).round() / 1e6
        ),
        None => "nothing was recorded".to_string(),
    }
}

fn fmt_issues(v: &[GraphIssue]) -> String {
    let mut s = String::new();
    for (k, i) in v.iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        s.push_str(&i.to_string());
    }
    if v.len() > 1 {
        s.push_str(&format!("\n{} problems found", v.len()));
    }
    s
}
