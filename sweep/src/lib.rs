//! # brainstream-sweep
//!
//! Parameter sweeps of a graph's whole-brain mean-field model: a sweep file
//! names the graph and the parameters to vary ([`spec`]), the plan checks
//! everything before any work ([`plan`]), each combination runs the
//! TVB-exact engine with its analyses streamed ([`combination`],
//! [`brainstream_models::analysis`]), rows are logged as they finish so that
//! an interrupted sweep resumes ([`output`]), and the table and heat maps
//! are written at the end ([`heatmap`]).
//!
//! ```no_run
//! use brainstream_sweep::{run_sweep, Backend, Plan, SweepOptions};
//! let plan = Plan::load("graphs/adex68_sweep.toml".as_ref(), &brainstream_actors::registry())?;
//! let opts = SweepOptions { out_dir: "out-sweep".into(), threads: 0, backend: Backend::Auto };
//! let summary = run_sweep(&plan, &opts, |p| eprintln!("{}/{}", p.done, p.total))?;
//! println!("{} combinations, {} diverged", summary.combinations, summary.diverged);
//! # Ok::<(), brainstream_sweep::SweepError>(())
//! ```

pub mod axes;
pub mod combination;
pub mod error;
pub mod heatmap;
pub mod output;
pub mod plan;
pub mod spec;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

pub use combination::{run_combination, Outcome};
pub use error::SweepError;
pub use plan::Plan;

/// Where combinations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The best available: today the CPU.
    Auto,
    /// The CPU engine, one combination per thread.
    Cpu,
    /// Vulkan compute shaders (not in this build yet).
    Vulkan,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "vulkan" => Ok(Self::Vulkan),
            o => Err(format!("unknown backend `{o}` (auto, cpu or vulkan)")),
        }
    }
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub out_dir: PathBuf,
    /// Worker threads (0: one per core).
    pub threads: usize,
    pub backend: Backend,
}

/// Progress, reported after every finished combination.
#[derive(Debug, Clone, Copy)]
pub struct SweepProgress {
    pub done: usize,
    pub total: usize,
    pub diverged: usize,
}

/// What a sweep did.
#[derive(Debug, Clone)]
pub struct SweepSummary {
    pub combinations: usize,
    /// Combinations run now (the others were found done in the output folder).
    pub ran: usize,
    pub diverged: usize,
    pub threads: usize,
    pub wall_s: f64,
    pub files: Vec<PathBuf>,
}

/// Runs every combination not yet in `opts.out_dir`, then writes the table
/// and the plots.
pub fn run_sweep(
    plan: &Plan,
    opts: &SweepOptions,
    mut progress: impl FnMut(SweepProgress),
) -> Result<SweepSummary, SweepError> {
    match opts.backend {
        Backend::Auto | Backend::Cpu => {}
        Backend::Vulkan => {
            return Err(SweepError::Backend {
                backend: "vulkan".into(),
                cause: "the Vulkan compute backend is not part of this build yet; run the same sweep with --backend cpu".into(),
            })
        }
    }
    let t0 = Instant::now();
    let out = &opts.out_dir;
    let (mut log, mut done) = output::RowLog::open(out, plan)?;
    let total = plan.points.len();
    let todo: Vec<usize> = (0..total).filter(|i| !done.contains_key(i)).collect();
    let threads = match opts.threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    }
    .min(todo.len().max(1));
    if !done.is_empty() {
        tracing::info!(done = done.len(), left = todo.len(), "resuming");
    }
    let mut diverged = done.values().filter(|r| r[plan.axes.len()] == 1.0).count();
    let mut files = vec![];
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let regions = plan.base.connectivity.n;
    let result: Result<(), SweepError> = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<Result<Outcome, SweepError>>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, todo) = (&next, &stop, &todo);
            s.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&index) = todo.get(k) else { break };
                if tx.send(run_combination(plan, index)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for r in rx {
            let o = match r {
                Ok(o) => o,
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            };
            if let Some(d) = &o.diverged {
                tracing::warn!(combination = o.index, "diverged: {d}");
                diverged += 1;
            }
            if let Some(sr) = &o.series {
                files.push(output::write_series(out, o.index, sr, regions)?);
            }
            if let Err(e) = log.append(&o) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
            done.insert(o.index, o.row);
            progress(SweepProgress {
                done: done.len(),
                total,
                diverged,
            });
        }
        Ok(())
    });
    result?;
    files.push(output::write_table(out, plan, &done)?);
    let rows: Vec<Vec<f64>> = done.values().cloned().collect();
    for p in &plan.plots {
        files.push(heatmap::draw(out, plan, &rows, p, plan.random)?);
    }
    files.push(out.join("rows.jsonl"));
    Ok(SweepSummary {
        combinations: total,
        ran: todo.len(),
        diverged,
        threads,
        wall_s: t0.elapsed().as_secs_f64(),
        files,
    })
}
