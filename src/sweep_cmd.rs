//! `brainstream sweep`: runs (or, with `--dry-run`, estimates) a sweep
//! file, with `--set` overrides of its keys and, prefixed `graph.`, of its
//! graph's.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use brainstream::default_registry;
use brainstream::runtime::machine::human as bytes;
use brainstream::sweep::{output, run_sweep_shared, Plan, Shard, SweepOptions};

use crate::out_dir::{self, Writer};
use crate::progress::{count, human, Lines};
use crate::signals;

/// What `brainstream sweep` was given.
pub struct Args {
    pub file: PathBuf,
    pub out: PathBuf,
    pub threads: usize,
    pub backend: String,
    pub quiet: bool,
    pub set: Vec<String>,
    pub dry_run: bool,
    pub force: bool,
    /// `--shard K/N`
    pub shard: Option<String>,
}

/// The shard to run: `--shard K/N`, or inside a Slurm job array its task
/// (`SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN + 1` of
/// `SLURM_ARRAY_TASK_COUNT`), or none.
fn shard_of(flag: Option<&str>) -> Result<Option<Shard>, String> {
    if let Some(f) = flag {
        return Shard::parse(f).map(Some);
    }
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
    else {
        return Ok(None);
    };
    let min = var("SLURM_ARRAY_TASK_MIN").unwrap_or_else(|| "0".into());
    let num = |k: &str, v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("{k}={v} is not a whole number (Slurm sets it in a job array)"))
    };
    let (id, count, min) = (
        num("SLURM_ARRAY_TASK_ID", &id)?,
        num("SLURM_ARRAY_TASK_COUNT", &count)?,
        num("SLURM_ARRAY_TASK_MIN", &min)?,
    );
    // a job array with a step (--array=0-15:4) or gaps: the task's rank
    if id < min || id - min >= count {
        return Err(format!(
            "SLURM_ARRAY_TASK_ID={id} is not one of {count} tasks from {min}: with a stepped or sparse --array, give --shard K/N"
        ));
    }
    let s = Shard {
        index: id - min,
        count,
    };
    eprintln!("sweep: shard {s} (from SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={count})");
    Ok(Some(s))
}

/// `brainstream sweep merge DIR… [--out OUT]`.
pub fn merge(dirs: &[PathBuf], out: Option<&Path>) -> Result<(), String> {
    let out = out.map_or_else(|| dirs[0].clone(), Path::to_path_buf);
    let (plan, m) =
        brainstream::sweep::merge(dirs, &out, &default_registry()).map_err(|e| e.to_string())?;
    say!(
        "merged {} of {} ({}, {} diverged) from {}",
        count(m.combinations as u64, "combination"),
        plan.path.display(),
        count(m.logs.len() as u64, "row log"),
        m.diverged,
        m.logs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for f in &m.files {
        say!("wrote {}", f.display());
    }
    Ok(())
}

/// Loads the sweep file with its overrides: every check, no work.
pub fn load(file: &Path, set: &[String]) -> Result<Plan, String> {
    Plan::load_with(file, &default_registry(), set).map_err(|e| e.to_string())
}

pub fn sweep(a: Args) -> Result<(), String> {
    // `mpirun -n R brainstream sweep …`: one of R ranks (src/mpi/sweep.rs);
    // a failure on any rank stops them all, naming it
    match crate::mpi::start("sweep")? {
        None => sweep_on(a, None),
        Some(r) => {
            let res = sweep_on(a, Some(&r));
            // a signal reached every rank (the launcher forwards it): each
            // stops by itself, rank 0 with every finished row logged; any
            // other failure stops them all
            if let (Err(e), None) = (&res, signals::received()) {
                r.abort(e);
            }
            res
        }
    }
}

fn sweep_on(a: Args, ranks: Option<&crate::mpi::Ranks>) -> Result<(), String> {
    let backend: brainstream::sweep::Backend = a.backend.parse()?;
    let plan = load(&a.file, &a.set)?;
    if ranks.is_some() && (a.dry_run || a.shard.is_some()) {
        return Err(
            "--dry-run and --shard run as one process, not as one of several MPI ranks".into(),
        );
    }
    if a.dry_run {
        return dry_run(&plan, &a);
    }
    let shard = match ranks {
        // MPI ranks share the whole sweep, not a job array's shard
        Some(_) => None,
        None => shard_of(a.shard.as_deref())?,
    };
    if let Some(r) = ranks.filter(|r| r.rank() != 0) {
        // Ctrl-C / scancel: this rank's finished rows still go to rank 0
        let cancel = brainstream::runtime::Cancel::new();
        let c = std::sync::Arc::new(cancel);
        let cc = c.clone();
        signals::watch(move |sig| cc.cancel(signals::name(sig)), |_| {})
            .map_err(|e| format!("cannot watch signals: {e}"))?;
        return crate::mpi::sweep::worker(r, &plan, backend, a.threads, &c);
    }
    let peers = match ranks {
        Some(r) => Some(crate::mpi::sweep::rank0(r, &plan, backend)?),
        None => None,
    };
    out_dir::check(&a.out, &Writer::Sweep, a.force)?;
    if let Err(e) = output::rows_done_in(&a.out, &plan, shard) {
        // another sweep's rows: --force starts this one afresh there
        match (a.force, output::sweep_in(&a.out)) {
            (true, Some(other)) => {
                let rows = a.out.join(output::log_name(shard));
                eprintln!(
                    "warning: {} holds the rows of another sweep ({other}); --force: starting afresh",
                    rows.display()
                );
                std::fs::remove_file(&rows).map_err(|e| format!("{}: {e}", rows.display()))?;
            }
            _ => return Err(e.to_string()),
        }
    }
    let total = (0..plan.points.len())
        .filter(|i| shard.is_none_or(|s| s.has(*i)))
        .count() as u64;
    let tty = std::io::stderr().is_terminal();
    let bar = (!a.quiet && tty).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} combinations {msg} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut lines: Option<Lines> = None;
    let opts = SweepOptions {
        out_dir: a.out.clone(),
        threads: match ranks {
            Some(r) if a.threads == 0 => r.threads(),
            _ => a.threads,
        },
        backend,
        shard,
    };
    // Ctrl-C: running combinations are dropped, finished ones are kept
    let cancel = std::sync::Arc::new(brainstream::runtime::Cancel::new());
    let c = cancel.clone();
    signals::watch(move |sig| c.cancel(signals::name(sig)), |_| {})
        .map_err(|e| format!("cannot watch signals: {e}"))?;
    let mut peers = peers;
    let peers = peers.as_mut().map(|(p, d)| (p.as_mut() as _, d.clone()));
    let res = run_sweep_shared(
        &plan,
        &opts,
        &cancel,
        |p| {
            if let Some(b) = &bar {
                b.set_position(p.done as u64);
                b.set_message(format!("({} diverged)", p.diverged));
            } else if !a.quiet {
                // the first report counts what a resumed sweep found done
                let l = lines.get_or_insert_with(|| Lines::new(p.done.saturating_sub(1) as u64));
                if let Some((_, timing)) = l.due(p.done as u64, p.total as u64) {
                    eprintln!(
                        "sweep: {}/{} done ({} diverged; {timing})",
                        p.done,
                        count(p.total as u64, "combination"),
                        p.diverged
                    );
                }
            }
        },
        peers,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let s = res.map_err(|e| e.to_string())?;
    say!(
        "{} ({} run now, {} found done), {} diverged, {:.2} s wall, backend {} ({})",
        count(s.combinations as u64, "combination"),
        s.ran,
        s.combinations - s.ran,
        s.diverged,
        s.wall_s,
        s.backend,
        count(s.threads as u64, "thread")
    );
    if let Some(r) = ranks {
        say!(
            "shared by {} (rank 0 wrote every row)",
            count(r.size() as u64, "MPI rank")
        );
    }
    for f in &s.files {
        say!("wrote {}", f.display());
    }
    if let Some(sh) = shard {
        say!(
            "shard {sh} done; once every shard is: brainstream sweep merge {} (each shard's --out)",
            a.out.display()
        );
    }
    Ok(())
}

/// What the sweep would do, from a short calibration run; writes nothing.
fn dry_run(plan: &Plan, a: &Args) -> Result<(), String> {
    let e = brainstream::sweep::estimate(plan, &a.out, a.threads, Duration::from_millis(500))
        .map_err(|e| e.to_string())?;
    let axes: Vec<String> = plan
        .axes
        .iter()
        .map(|ax| {
            if plan.random {
                ax.name.clone()
            } else {
                format!("{} ({})", ax.name, count(ax.values().len() as u64, "value"))
            }
        })
        .collect();
    say!(
        "{}: {} {} {}; {} ms each ({} of {} ms)",
        a.file.display(),
        count(e.combinations as u64, "combination"),
        if plan.random {
            "drawn at random over"
        } else {
            "over"
        },
        axes.join(" × "),
        plan.steps as f64 * plan.base.dt_ms,
        count(plan.steps as u64, "step"),
        plan.base.dt_ms
    );
    if e.done > 0 {
        say!(
            "{} holds {} of this sweep already: {} left",
            a.out.join("rows.jsonl").display(),
            e.done,
            e.combinations - e.done
        );
    }
    say!(
        "calibration: {} of combination 0 in {}{} → about {} per combination on one thread",
        count(e.calibration_steps as u64, "step"),
        human(Duration::from_secs_f64(e.calibration_s)),
        if e.calibration_diverged {
            " (it diverged: the estimate is from the steps before)"
        } else {
            ""
        },
        human(Duration::from_secs_f64(e.combination_s))
    );
    say!(
        "estimated time: about {} on the CPU with {} (the analyses add a little; --backend vulkan on a GPU is usually faster)",
        human(Duration::from_secs_f64(e.total_s)),
        count(e.threads as u64, "thread")
    );
    say!(
        "disk needed: about {} in {} (rows.jsonl, sweep.h5{}{})",
        bytes(e.disk_bytes as f64),
        a.out.display(),
        if plan.save_series.is_empty() {
            String::new()
        } else {
            match plan.save_series.len() {
                1 => ", 1 saved series".to_string(),
                n => format!(", {n} saved series"),
            }
        },
        if plan.plots.is_empty() {
            String::new()
        } else {
            format!(", {}", count(plan.plots.len() as u64, "heat map"))
        }
    );
    if let Err(why) = out_dir::check(&a.out, &Writer::Sweep, false)
        .and_then(|_| output::rows_done(&a.out, plan).map_err(|e| e.to_string()))
    {
        say!("note: this --out would be refused: {why}");
    }
    say!("dry run: nothing was written");
    Ok(())
}
