//! Sweep errors: each names the file or key and the cause, and says what to
//! do where there is something to do.

use std::path::PathBuf;

use brainstream_runtime::graph::load::{locate_toml, MAX_GRAPH_BYTES};

/// Everything that can stop a sweep.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file cannot be read or parsed.
    #[error("{path}: {cause}")]
    File { path: PathBuf, cause: String },
    /// A value of the sweep file (or of its graph) is wrong: `key` is its
    /// path, e.g. `axes[1].param`, `at` its line and column in `path`.
    #[error("{}{}: {}{cause}{}",
        path.display(),
        at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default(),
        if key.is_empty() { String::new() } else { format!("{key}: ") },
        hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        at: Option<(usize, usize)>,
        key: String,
        cause: String,
        hint: Option<String>,
    },
    /// The graph the sweep names is invalid.
    #[error(transparent)]
    Graph(#[from] brainstream_runtime::RuntimeError),
    /// The requested backend cannot run here.
    #[error("backend `{backend}`: {cause}")]
    Backend { backend: String, cause: String },
    /// Output folder problems (unwritable, or holding another sweep).
    #[error("{path}: {cause}")]
    Output { path: PathBuf, cause: String },
    /// A worker failed for a reason other than the model diverging.
    #[error("combination {index}: {cause}")]
    Combination { index: usize, cause: String },
    /// Stopped from outside (a signal) before every combination ran; the
    /// finished ones are in `rows.jsonl`, and the same command continues.
    #[error("stopped by {cause} with {done} of {total} combinations done; {} holds them: the same command continues the sweep", .out.join("rows.jsonl").display())]
    Stopped {
        cause: String,
        done: usize,
        total: usize,
        out: PathBuf,
    },
}

impl SweepError {
    pub(crate) fn invalid(
        path: &std::path::Path,
        key: impl Into<String>,
        cause: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            at: None,
            key: key.into(),
            cause: cause.into(),
            hint: None,
        }
    }

    /// An [`Invalid`](Self::Invalid) error located: the line and column of
    /// its key in its file (the sweep file or the graph), read again for it
    /// within the limits of graph files.
    pub(crate) fn located(self) -> Self {
        match self {
            Self::Invalid {
                path,
                at: None,
                key,
                cause,
                hint,
            } => {
                let at = std::fs::metadata(&path)
                    .ok()
                    .filter(|m| m.is_file() && m.len() <= MAX_GRAPH_BYTES)
                    .and_then(|_| std::fs::read_to_string(&path).ok())
                    .and_then(|t| locate_toml(&t, &key));
                Self::Invalid {
                    path,
                    at,
                    key,
                    cause,
                    hint,
                }
            }
            e => e,
        }
    }

    /// An [`Invalid`](Self::Invalid) error about a key that one of
    /// `overrides` (`KEY=VALUE`) set, or set inside of, says so, with no
    /// line (the file's line holds the value overridden).
    pub(crate) fn blame(self, overrides: &[String]) -> Self {
        let Self::Invalid {
            path,
            at,
            key,
            cause,
            hint,
        } = self
        else {
            return self;
        };
        // `axes[0].param` is `axes.0.param` in an override
        let norm = |k: &str| k.replace('[', ".").replace(']', "");
        let k = norm(&key);
        let by = overrides.iter().rev().find(|o| {
            let ok = norm(o.split('=').next().unwrap_or("").trim());
            !ok.is_empty()
                && (ok == k || k.starts_with(&format!("{ok}.")) || ok.starts_with(&format!("{k}.")))
        });
        match by {
            Some(o) => Self::Invalid {
                path,
                at: None,
                key,
                cause: format!("{cause} (set by --set {o})"),
                hint,
            },
            None => Self::Invalid {
                path,
                at,
                key,
                cause,
                hint,
            },
        }
    }

    pub(crate) fn hint(self, h: impl Into<String>) -> Self {
        match self {
            Self::Invalid {
                path,
                at,
                key,
                cause,
                ..
            } => Self::Invalid {
                path,
                at,
                key,
                cause,
                hint: Some(h.into()),
            },
            e => e,
        }
    }

    pub(crate) fn output(path: &std::path::Path, cause: impl std::fmt::Display) -> Self {
        Self::Output {
            path: path.to_path_buf(),
            cause: cause.to_string(),
        }
    }
}
