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
//! let opts = SweepOptions { out_dir: "out-sweep".into(), threads: 0, backend: Backend::Auto, shard: None };
//! let summary = run_sweep(&plan, &opts, |p| eprintln!("{}/{}", p.done, p.total))?;
//! println!("{} combinations, {} diverged", summary.combinations, summary.diverged);
//! # Ok::<(), brainstream_sweep::SweepError>(())
//! ```

pub mod axes;
pub mod combination;
pub mod error;
pub mod estimate;
pub mod heatmap;
pub mod output;
pub mod plan;
pub mod spec;
pub mod vulkan;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use brainstream_runtime::Cancel;
pub use combination::{run_combination, run_combination_until, Outcome};
pub use error::SweepError;
pub use estimate::{estimate, Estimate};
pub use output::Shard;
pub use plan::Plan;

/// Where combinations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A GPU (not lavapipe) where the kernels cover the sweep, else the CPU.
    Auto,
    /// The CPU engine, one combination per thread.
    Cpu,
    /// Vulkan compute shaders, many combinations per batch.
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
    /// Run only this shard's combinations (a Slurm job array's task): its
    /// rows go to `rows.shard-K-of-N.jsonl` and no table is written until
    /// [`merge`] gathers the shards.
    pub shard: Option<Shard>,
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
    /// `cpu`, or `vulkan: <device>`.
    pub backend: String,
    pub wall_s: f64,
    pub files: Vec<PathBuf>,
}

/// Takes finished combinations: logs them, saves their signals, reports progress.
struct Recorder<'a, P: FnMut(SweepProgress)> {
    out: &'a std::path::Path,
    log: output::RowLog,
    done: std::collections::BTreeMap<usize, Vec<f64>>,
    diverged: usize,
    files: Vec<PathBuf>,
    regions: usize,
    total: usize,
    progress: P,
}

impl<P: FnMut(SweepProgress)> Recorder<'_, P> {
    fn take(&mut self, o: Outcome) -> Result<(), SweepError> {
        if let Some(d) = &o.diverged {
            tracing::warn!(combination = o.index, "diverged: {d}");
            self.diverged += 1;
        }
        if let Some(sr) = &o.series {
            self.files
                .push(output::write_series(self.out, o.index, sr, self.regions)?);
        }
        self.log.append(&o)?;
        self.done.insert(o.index, o.row);
        (self.progress)(SweepProgress {
            done: self.done.len(),
            total: self.total,
            diverged: self.diverged,
        });
        Ok(())
    }
}

/// Runs every combination not yet in `opts.out_dir`, then writes the table
/// and the plots. The backend is chosen (and a Vulkan one checked) before
/// anything is written.
pub fn run_sweep(
    plan: &Plan,
    opts: &SweepOptions,
    progress: impl FnMut(SweepProgress),
) -> Result<SweepSummary, SweepError> {
    run_sweep_until(plan, opts, &Cancel::new(), progress)
}

/// [`run_sweep`], stopped when `stop` is cancelled (a signal): combinations
/// running then are dropped (within one analysis period on the CPU, after
/// the batch on Vulkan), every finished one is already in `rows.jsonl`, no
/// table or plot is written, and the error says how far it got. Running
/// the same sweep again continues it, with the same rows as an
/// uninterrupted sweep.
pub fn run_sweep_until(
    plan: &Plan,
    opts: &SweepOptions,
    stop: &Cancel,
    progress: impl FnMut(SweepProgress),
) -> Result<SweepSummary, SweepError> {
    run_sweep_shared(plan, opts, stop, progress, None)
}

/// The processes sharing one sweep (MPI ranks), as the one that writes its
/// rows sees them (rank 0). This crate knows nothing of MPI: the
/// `brainstream` binary implements it over MPI (`src/mpi/sweep.rs`); the
/// other processes run [`run_share`] and send each outcome to this one.
pub trait Peers {
    /// How many processes share the sweep, this one included.
    fn size(&self) -> usize;
    /// Hands the combinations still to run (ascending) to every process
    /// and returns this one's share ([`share_of`] rank 0).
    fn share(&mut self, todo: &[usize]) -> Result<Vec<usize>, SweepError>;
    /// What the others finished since the last call (does not wait).
    fn poll(&mut self) -> Result<Vec<Outcome>, SweepError>;
    /// Waits until every other process has finished its share (or
    /// stopped): the rest of their outcomes.
    fn finish(&mut self) -> Result<Vec<Outcome>, SweepError>;
}

/// Process `rank`'s share of `todo` among `size`: the combinations at
/// positions `k` with `k mod size = rank` — interleaved over what is left,
/// so that the shares differ by at most one combination and take a like
/// part of every axis, whatever a resumed sweep found done.
pub fn share_of(todo: &[usize], rank: usize, size: usize) -> Vec<usize> {
    todo.iter()
        .skip(rank)
        .step_by(size.max(1))
        .copied()
        .collect()
}

/// The device a sweep runs on (None: the CPU engine): `backend` as
/// `--backend` takes it; `device`: which of the best kind of Vulkan device
/// when there are several (an MPI rank's index on its node: one GPU per
/// local rank).
pub fn open_backend(
    plan: &Plan,
    backend: Backend,
    device: usize,
) -> Result<Option<std::sync::Arc<brainstream_gpu::GpuDevice>>, SweepError> {
    Ok(match backend {
        Backend::Cpu => None,
        Backend::Vulkan => {
            vulkan::check(plan)?;
            Some(vulkan::open_nth(device)?)
        }
        // a real GPU where the kernels cover the sweep; lavapipe is for
        // correctness only (slower than the CPU engine), so not chosen
        Backend::Auto => match vulkan::check(plan) {
            Ok(()) => vulkan::open_nth(device).ok().filter(|d| !d.is_cpu),
            Err(_) => None,
        },
    })
}

/// The devices a sweep in one process runs on (empty: the CPU engine):
/// `backend` as `--backend` takes it; `vulkan` and `auto` use every device
/// of the best kind there is (every GPU of the host, one worker each;
/// `GpuDevice::open_all`), `auto` none where that kind is a CPU
/// implementation (lavapipe).
pub fn open_backends(
    plan: &Plan,
    backend: Backend,
) -> Result<Vec<std::sync::Arc<brainstream_gpu::GpuDevice>>, SweepError> {
    Ok(match backend {
        Backend::Cpu => vec![],
        Backend::Vulkan => {
            vulkan::check(plan)?;
            vulkan::open_all()?
        }
        Backend::Auto => match vulkan::check(plan) {
            Ok(()) => vulkan::open_all()
                .map(|d| d.into_iter().filter(|d| !d.is_cpu).collect())
                .unwrap_or_default(),
            Err(_) => vec![],
        },
    })
}

/// What [`run_todo`] tells its caller, on the caller's thread.
enum Event {
    Done(Outcome),
    /// Nothing finished for a moment (every 2 ms on the CPU; after each
    /// batch on Vulkan): time to look at other processes' outcomes.
    Idle,
}

/// Runs the combinations `todo` on `devices` (none: `threads` CPU
/// workers), handing each outcome to `on` on the calling thread; returns
/// the worker count. Stops early, with Ok, when `stop` is cancelled.
fn run_todo(
    plan: &Plan,
    devices: &[std::sync::Arc<brainstream_gpu::GpuDevice>],
    todo: &[usize],
    threads: usize,
    stop: &Cancel,
    mut on: impl FnMut(Event) -> Result<(), SweepError>,
) -> Result<usize, SweepError> {
    if !devices.is_empty() {
        let r = vulkan::run(plan, devices, todo, threads, |outs| {
            for o in outs {
                on(Event::Done(o))?;
            }
            on(Event::Idle)?;
            // between batches
            if stop.is_cancelled() {
                return Err(SweepError::Stopped {
                    cause: String::new(),
                    done: 0,
                    total: 0,
                    out: PathBuf::new(),
                });
            }
            Ok(())
        });
        return match r {
            Ok(()) | Err(SweepError::Stopped { .. }) => Ok(threads),
            Err(e) => Err(e),
        };
    }
    let workers = threads.min(todo.len().max(1));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<Result<Outcome, SweepError>>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, failed) = (&next, &failed);
            s.spawn(move || loop {
                if failed.load(Ordering::Relaxed) || stop.is_cancelled() {
                    break;
                }
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&index) = todo.get(k) else { break };
                let r = run_combination_until(plan, index, stop).transpose();
                // None: stopped from outside, nothing to keep
                if r.is_some_and(|r| tx.send(r).is_err()) {
                    break;
                }
            });
        }
        drop(tx);
        loop {
            let r = match rx.recv_timeout(std::time::Duration::from_millis(2)) {
                Ok(r) => r.and_then(|o| on(Event::Done(o))),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => on(Event::Idle),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            if let Err(e) = r {
                failed.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    })?;
    Ok(workers)
}

/// Runs the combinations `todo` (this process's share of a sweep another
/// process writes: an MPI rank other than 0) on `device` (None: `threads`
/// CPU workers), handing each outcome to `send` as it finishes; writes
/// nothing. Stops early, with Ok, when `stop` is cancelled. Returns the
/// worker count.
pub fn run_share(
    plan: &Plan,
    device: Option<std::sync::Arc<brainstream_gpu::GpuDevice>>,
    todo: &[usize],
    threads: usize,
    stop: &Cancel,
    mut send: impl FnMut(Outcome) -> Result<(), SweepError>,
) -> Result<usize, SweepError> {
    let devices: Vec<_> = device.into_iter().collect();
    run_todo(plan, &devices, todo, threads, stop, |e| match e {
        Event::Done(o) => send(o),
        Event::Idle => Ok(()),
    })
}

/// [`run_sweep_until`], the combinations shared with `peers` (None: this
/// process runs them all) on the backend chosen (with peers: this rank's
/// device from [`open_backend`]; alone: every device [`open_backends`]
/// opens, one worker each): this process (rank 0) writes every row, its own and those the others send, to
/// the one `rows.jsonl`, then the table — the same as one process would.
pub fn run_sweep_shared(
    plan: &Plan,
    opts: &SweepOptions,
    stop: &Cancel,
    progress: impl FnMut(SweepProgress),
    peers: Option<(
        &mut dyn Peers,
        Option<std::sync::Arc<brainstream_gpu::GpuDevice>>,
    )>,
) -> Result<SweepSummary, SweepError> {
    let (mut peers, devices) = match peers {
        Some((p, d)) => (Some(p), d.into_iter().collect()),
        None => (None, open_backends(plan, opts.backend)?),
    };
    let backend_name = if devices.is_empty() {
        "cpu".to_string()
    } else {
        let names: Vec<&str> = devices.iter().map(|d| d.name.as_str()).collect();
        format!("vulkan: {}", names.join(", "))
    };
    tracing::info!(backend = %backend_name, "sweep backend");
    let t0 = Instant::now();
    let out = &opts.out_dir;
    let (log, done) = output::RowLog::open_shard(out, plan, opts.shard)?;
    let mine = |i: &usize| opts.shard.is_none_or(|s| s.has(*i));
    let total = (0..plan.points.len()).filter(mine).count();
    let todo: Vec<usize> = (0..plan.points.len())
        .filter(|i| mine(i) && !done.contains_key(i))
        .collect();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = match opts.threads {
        0 => cores,
        n => n,
    };
    if !done.is_empty() {
        tracing::info!(done = done.len(), left = todo.len(), "resuming");
    }
    let share = match peers.as_deref_mut() {
        Some(p) => p.share(&todo)?,
        None => todo.clone(),
    };
    let diverged = done.values().filter(|r| r[plan.axes.len()] == 1.0).count();
    let mut rec = Recorder {
        out,
        log,
        done,
        diverged,
        files: vec![],
        regions: plan.base.connectivity.n,
        total,
        progress,
    };
    let ran = run_todo(plan, &devices, &share, threads, stop, |e| match e {
        Event::Done(o) => rec.take(o),
        Event::Idle => match peers.as_deref_mut() {
            Some(p) => p.poll()?.into_iter().try_for_each(|o| rec.take(o)),
            None => Ok(()),
        },
    });
    let workers = ran?;
    // the others' last rows (all of them, also when a signal stopped this one)
    if let Some(p) = peers {
        for o in p.finish()? {
            rec.take(o)?;
        }
    }
    if rec.done.len() < total {
        return Err(SweepError::Stopped {
            cause: stop
                .taken()
                .unwrap_or_else(|| "another process of the sweep (it stopped)".into()),
            done: rec.done.len(),
            total,
            out: out.clone(),
        });
    }
    let Recorder {
        done,
        diverged,
        mut files,
        ..
    } = rec;
    if let Some(s) = opts.shard {
        // the table waits for every shard: `brainstream sweep merge`
        files.push(out.join(s.log_name()));
        return Ok(SweepSummary {
            combinations: total,
            ran: todo.len(),
            diverged,
            threads: workers,
            backend: backend_name,
            wall_s: t0.elapsed().as_secs_f64(),
            files,
        });
    }
    let averaged: Vec<String> = plan
        .plots
        .iter()
        .map(|p| heatmap::averaged(plan, p))
        .collect();
    files.push(output::write_table(out, plan, &done, &averaged)?);
    let rows: Vec<Vec<f64>> = done.values().cloned().collect();
    for p in &plan.plots {
        files.push(heatmap::draw(out, plan, &rows, p, plan.random)?);
    }
    files.push(out.join("rows.jsonl"));
    Ok(SweepSummary {
        combinations: total,
        ran: todo.len(),
        diverged,
        threads: workers,
        backend: backend_name,
        wall_s: t0.elapsed().as_secs_f64(),
        files,
    })
}

/// What [`merge`] did.
#[derive(Debug, Clone)]
pub struct MergeSummary {
    pub combinations: usize,
    pub diverged: usize,
    /// The row logs gathered.
    pub logs: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
}

/// `brainstream sweep merge`: gathers the row logs of a sweep's shards
/// (`rows.shard-K-of-N.jsonl`, and any `rows.jsonl`) from `dirs`, reloads the
/// sweep they name (its file as given when the shards ran, else its
/// absolute path, with the same `--set` overrides; it must still have the
/// shards' hash), checks that every combination has its row, and writes the
/// table and heat maps into `out` — the same `sweep.h5` as one process
/// running the whole sweep — with the rows in one `rows.jsonl` and the
/// shards' saved signals copied into `out/series`.
pub fn merge(
    dirs: &[PathBuf],
    out: &std::path::Path,
    registry: &brainstream_runtime::Registry,
) -> Result<(Plan, MergeSummary), SweepError> {
    let mut logs = vec![];
    for d in dirs {
        if !d.is_dir() {
            return Err(SweepError::output(d, "not a folder"));
        }
        let single = d.join("rows.jsonl");
        if single.exists() {
            logs.push(single);
        }
        logs.extend(output::row_logs(d));
    }
    let Some(first) = logs.first() else {
        return Err(SweepError::output(
            dirs.first()
                .map_or(std::path::Path::new("."), |d| d.as_path()),
            "holds no sweep row log (rows.shard-K-of-N.jsonl or rows.jsonl): nothing to merge",
        ));
    };
    let headers: Vec<output::LogHeader> = logs
        .iter()
        .map(|p| output::read_header(p))
        .collect::<Result<_, _>>()?;
    let h0 = &headers[0];
    if let Some(h) = headers.iter().find(|h| h.hash != h0.hash) {
        return Err(SweepError::output(
            &h.path,
            format!(
                "is a log of another sweep than {} ({} vs {}): merge the shards of one sweep",
                first.display(),
                h.sweep_file.display(),
                h0.sweep_file.display()
            ),
        ));
    }
    let counts: std::collections::BTreeSet<usize> = headers
        .iter()
        .filter_map(|h| h.shard.map(|s| s.count))
        .collect();
    if counts.len() > 1 {
        tracing::warn!("shards of different counts ({counts:?}): merged all the same");
    }
    let file = match (&h0.sweep_file, &h0.sweep_file_absolute) {
        (f, _) if f.exists() => f.clone(),
        (_, Some(a)) if a.exists() => a.clone(),
        (f, _) => {
            return Err(SweepError::output(
                f,
                format!(
                    "the sweep file the shards ran ({}) is not found here: merge from the folder the shards were started in",
                    f.display()
                ),
            ))
        }
    };
    let mut plan = Plan::load_with(&file, registry, &h0.set)?;
    if format!("{:016x}", plan.hash) != h0.hash {
        return Err(SweepError::output(
            &file,
            "has changed (or its graph has) since the shards ran: their rows are not this sweep's; run the shards again",
        ));
    }
    // as recorded by the shards (and by a run of the whole sweep)
    plan.path = h0.sweep_file.clone();
    let rows = output::gather(&logs, &plan)?;
    let n = plan.points.len();
    if rows.len() < n {
        let missing: Vec<usize> = (0..n).filter(|i| !rows.contains_key(i)).collect();
        let shards: std::collections::BTreeSet<String> = match counts.iter().next() {
            Some(&c) => missing
                .iter()
                .map(|i| format!("{}/{c}", i % c + 1))
                .collect(),
            None => Default::default(),
        };
        let shown: Vec<String> = missing.iter().take(8).map(|i| i.to_string()).collect();
        return Err(SweepError::output(
            out,
            format!(
                "{} of {n} combinations have no row yet ({}{}){}: finish those shards (rerun them: they resume), then merge",
                missing.len(),
                shown.join(", "),
                if missing.len() > 8 { ", …" } else { "" },
                if shards.is_empty() {
                    String::new()
                } else {
                    format!(", of shard {}", shards.into_iter().collect::<Vec<_>>().join(", "))
                }
            ),
        ));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| SweepError::output(out, format!("cannot create: {e}")))?;
    let mut files = vec![];
    // the shards' saved signals
    for d in dirs {
        let src = d.join("series");
        let same = std::fs::canonicalize(d).ok() == std::fs::canonicalize(out).ok();
        if same || !src.is_dir() {
            continue;
        }
        let dst = out.join("series");
        std::fs::create_dir_all(&dst).map_err(|e| SweepError::output(&dst, e))?;
        for e in std::fs::read_dir(&src)
            .map_err(|e| SweepError::output(&src, e))?
            .flatten()
        {
            let to = dst.join(e.file_name());
            std::fs::copy(e.path(), &to).map_err(|er| SweepError::output(&to, er))?;
            files.push(to);
        }
    }
    let diverged = rows.values().filter(|r| r[plan.axes.len()] == 1.0).count();
    let averaged: Vec<String> = plan
        .plots
        .iter()
        .map(|p| heatmap::averaged(&plan, p))
        .collect();
    files.push(output::write_table(out, &plan, &rows, &averaged)?);
    let table: Vec<Vec<f64>> = rows.values().cloned().collect();
    for p in &plan.plots {
        files.push(heatmap::draw(out, &plan, &table, p, plan.random)?);
    }
    files.push(output::write_merged_log(out, &plan, &rows)?);
    Ok((
        plan,
        MergeSummary {
            combinations: n,
            diverged,
            logs,
            files,
        },
    ))
}
