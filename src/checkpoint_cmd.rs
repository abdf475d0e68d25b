//! Checkpoints on the command line: `run --checkpoint-every T`, `run
//! --stop-at T`, Ctrl-C in a checkpointed run, and `brainstream resume
//! CHECKPOINT --out DIR` (a `run` of the checkpoint's graph, with its
//! overrides, from the checkpoint: `run --resume-from`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use brainstream::runtime::checkpoint::{self, Checkpointing};

/// The checkpoints of a run, if any is asked for (`every_ms`, `stop_at_ms`)
/// or it resumes from `resume_from` (a checkpoint folder, or one file).
pub fn plan(
    out: &Path,
    graph: &Path,
    overrides: &[String],
    every_ms: Option<f64>,
    stop_at_ms: Option<f64>,
    resume_from: Option<&Path>,
    partition: Option<&str>,
) -> Result<Option<Arc<Checkpointing>>, String> {
    if every_ms.is_none() && stop_at_ms.is_none() && resume_from.is_none() {
        return Ok(None);
    }
    for (flag, v) in [("--checkpoint-every", every_ms), ("--stop-at", stop_at_ms)] {
        if let Some(v) = v {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{flag} {v}: give a time in ms, > 0"));
            }
        }
    }
    let mut c = Checkpointing::new(out);
    c.every_ms = every_ms;
    c.stop_at_ms = stop_at_ms;
    c.graph_file = Some(std::path::absolute(graph).unwrap_or_else(|_| graph.to_path_buf()));
    c.overrides = overrides.to_vec();
    if let Some(from) = resume_from {
        c.resume = Some(load(from, partition)?);
    }
    Ok(Some(Arc::new(c)))
}

/// This process's file of checkpoint `from`.
fn load(from: &Path, partition: Option<&str>) -> Result<checkpoint::Saved, String> {
    let path = if from.is_dir() {
        from.join(checkpoint::file_name(partition))
    } else {
        from.to_path_buf()
    };
    if !path.exists() {
        return Err(format!(
            "{}: no checkpoint of {} in {}",
            path.display(),
            partition.map_or("a run in one process".to_string(), |p| format!(
                "partition `{p}`"
            )),
            from.display()
        ));
    }
    checkpoint::read(&path).map_err(|e| e.to_string())
}

/// `brainstream resume CHECKPOINT --out DIR [--graph FILE] [options]` as
/// the `run` arguments that do it: the checkpoint's graph file (or
/// `graph`), its overrides, `--resume-from CHECKPOINT`.
pub fn resume_args(
    ckpt: &Path,
    out: &Path,
    graph: Option<&Path>,
    rest: &[String],
) -> Result<Vec<String>, String> {
    let files = checkpoint::files(ckpt).map_err(|e| e.to_string())?;
    let (h, _) = checkpoint::read_header(&files[0]).map_err(|e| e.to_string())?;
    let graph: PathBuf = match (graph, &h.graph_file) {
        (Some(g), _) => g.to_path_buf(),
        (None, Some(g)) if g.exists() => g.clone(),
        (None, Some(g)) => {
            return Err(format!(
                "{}: the checkpoint's graph file {} is not there any more\n  hint: give it with --graph FILE (it must be the same graph)",
                files[0].display(),
                g.display()
            ))
        }
        (None, None) => {
            return Err(format!(
                "{}: the checkpoint names no graph file\n  hint: give it with --graph FILE",
                files[0].display()
            ))
        }
    };
    let mut args = vec![
        "brainstream".to_string(),
        "run".into(),
        graph.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--resume-from".into(),
        ckpt.display().to_string(),
    ];
    for s in &h.overrides {
        args.push("--set".into());
        args.push(s.clone());
    }
    args.extend(rest.iter().cloned());
    Ok(args)
}

/// What a checkpointed run says at its end.
pub fn report(s: &brainstream::RunSummary, out: &Path) {
    for (t, f) in &s.checkpoints {
        say!("checkpoint at t = {t} ms: {}", f.display());
    }
    if let Some(t) = s.stopped_at_ms {
        if let Some((_, f)) = s.checkpoints.iter().find(|(c, _)| *c == t) {
            say!(
                "stopped at t = {t} ms as asked (--stop-at); continue with: brainstream resume {} --out {}",
                f.display(),
                out.display()
            );
        }
    }
}

/// `run`'s checkpoint options.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Flags {
    /// Write a checkpoint every MS of simulated time (rounded up to whole
    /// windows) into OUT/checkpoints/t=<ms>ms; Ctrl-C then stops at the
    /// next window boundary with a checkpoint there (docs/live.md).
    #[arg(long, value_name = "MS")]
    pub checkpoint_every: Option<f64>,
    /// Stop at the first window boundary at or after MS, with a
    /// checkpoint there (what Ctrl-C does in a checkpointed run).
    #[arg(long, value_name = "MS")]
    pub stop_at: Option<f64>,
    /// Continue from this checkpoint (`brainstream resume` passes it).
    #[arg(long, value_name = "CHECKPOINT", hide = true)]
    pub resume_from: Option<PathBuf>,
}

impl Flags {
    /// The same options for a partition the launcher starts.
    pub fn child_args(&self) -> Vec<String> {
        let mut v = vec![];
        if let Some(t) = self.checkpoint_every {
            v.extend(["--checkpoint-every".to_string(), t.to_string()]);
        }
        if let Some(t) = self.stop_at {
            v.extend(["--stop-at".to_string(), t.to_string()]);
        }
        if let Some(p) = &self.resume_from {
            v.extend(["--resume-from".to_string(), p.display().to_string()]);
        }
        v
    }
}

/// What a partitioned run's launcher says of its checkpoints: the folders
/// every partition wrote its part of, and how to continue from where
/// `--stop-at` stopped.
pub fn report_partitions(out: &Path, parts: &[String], flags: &Flags) {
    if flags.checkpoint_every.is_none() && flags.stop_at.is_none() {
        return;
    }
    let Ok(rd) = std::fs::read_dir(out.join("checkpoints")) else {
        return;
    };
    let mut done: Vec<(f64, PathBuf)> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|d| {
            parts
                .iter()
                .all(|p| d.join(checkpoint::file_name(Some(p))).is_file())
        })
        .filter_map(|d| {
            let name = d.file_name()?.to_str()?.to_string();
            let t: f64 = name.strip_prefix("t=")?.strip_suffix("ms")?.parse().ok()?;
            Some((t, d))
        })
        .collect();
    done.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (t, d) in &done {
        say!("checkpoint at t = {t} ms: {}", d.display());
    }
    if let (Some(_), Some((t, d))) = (flags.stop_at, done.last()) {
        say!(
            "stopped at t = {t} ms as asked (--stop-at); continue with: brainstream resume {} --out {}",
            d.display(),
            out.display()
        );
    }
}
