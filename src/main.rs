//! The `brainstream` command line: a thin shell over the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use brainstream::{load_graph, run_graph, to_dot, Progress, RunOptions};
use clap::{Parser, Subcommand};

/// `println!` that ignores a closed stdout (`brainstream list | head`)
/// instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

mod checkpoint_cmd;
mod list_cmd;
mod model_cmd;
mod mpi;
mod out_dir;
mod progress;
mod relay;
mod serve;
mod signals;
mod sweep_cmd;

use out_dir::Writer;
use progress::count;

#[derive(Parser)]
#[command(
    name = "brainstream",
    version,
    about = "Multiscale brain co-simulation: run, check and inspect graph files"
)]
struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a graph file.
    Run {
        /// The graph file (TOML or JSON).
        graph: PathBuf,
        /// Output folder for recorders.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Override a value of the graph, e.g. --set simulation.duration_ms=20 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Print no progress.
        #[arg(long, short)]
        quiet: bool,
        /// Run one partition (`process = "NAME"`) alone, e.g. on another host
        /// or under a batch system; its edges to the others go over ZeroMQ.
        #[arg(long)]
        partition: Option<String>,
        /// Names the run's private sockets; the partitions of one run must
        /// share it. Visible to other users in `ps`: prefer the environment
        /// variable BRAINSTREAM_RUN_TOKEN (the launcher uses it).
        #[arg(long, hide = true)]
        run_token: Option<String>,
        /// Started by the launcher: stop when standard input closes.
        #[arg(long, hide = true)]
        launched: bool,
        /// Carry every edge over this transport: channel, shm or zmq (testing).
        #[arg(long)]
        transport: Option<String>,
        /// Run even when the estimated memory or output exceeds what the
        /// machine has (a warning instead of an error).
        #[arg(long)]
        allow_large: bool,
        /// Refuse model parameters outside their documented range (by default
        /// they are used with a warning): `simulation.strict_ranges = true`.
        #[arg(long)]
        strict: bool,
        /// Write into --out even when it holds another run's files (files of
        /// the same names are replaced; nothing else is removed).
        #[arg(long)]
        force: bool,
        /// Where every mean_field and surface actor that sets no `backend`
        /// steps: cpu, vulkan or auto (its `backend` parameter; `--set` as
        /// the others).
        #[arg(long)]
        backend: Option<String>,
        #[command(flatten)]
        live: LiveArgs,
        #[command(flatten)]
        ckpt: checkpoint_cmd::Flags,
    },
    /// Continue a run from a checkpoint (OUT/checkpoints/t=<ms>ms, written by
    /// `run --checkpoint-every`, `--stop-at` or Ctrl-C) to its end,
    /// appending to its recordings: the same files as a run that never
    /// stopped.
    Resume {
        /// The checkpoint folder.
        checkpoint: PathBuf,
        /// Output folder: the checkpointed run's (its recordings go on), or
        /// another (they are copied there first).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// The graph file, if it moved since (it must be the same graph).
        #[arg(long)]
        graph: Option<PathBuf>,
        /// `run`'s other options (--checkpoint-every, --stop-at, -q, …).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
    /// Change parameters of a run served with `--serve` between its
    /// windows, or pause and resume it (docs/live.md).
    Steer {
        /// The URL `brainstream run --serve` printed (with its token).
        url: String,
        /// ACTOR.PARAMETER=VALUE, e.g. brain.coupling_params.a=0.03 (repeatable).
        #[arg(value_name = "KEY=VALUE")]
        changes: Vec<String>,
        /// Pause the run (every actor waits before its next window).
        #[arg(long)]
        pause: bool,
        /// Resume a paused run.
        #[arg(long, conflicts_with = "pause")]
        resume: bool,
    },
    /// Check a graph file, or a sweep file, without running it (with the
    /// memory and output it would need).
    Validate {
        /// A graph file (TOML or JSON) or a sweep file (TOML with `axes`).
        graph: PathBuf,
        /// Override a value, as `run` and `sweep` take it.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Also check the output's size against the free space here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only warn when the run would not fit the machine.
        #[arg(long)]
        allow_large: bool,
        /// Refuse model parameters outside their documented range.
        #[arg(long)]
        strict: bool,
    },
    /// Print the graph's topology (--dot: Graphviz DOT, the only format for now).
    Graph {
        graph: PathBuf,
        /// Graphviz DOT, e.g. `--dot | dot -Tsvg > graph.svg` (the only format for now).
        #[arg(long)]
        dot: bool,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Run a parameter sweep of a graph's mean-field model (resumes an interrupted one in the same --out);
    /// `sweep merge DIR…` gathers the shards of one run as a Slurm job array.
    #[command(args_conflicts_with_subcommands = true)]
    Sweep {
        #[command(subcommand)]
        action: Option<SweepAction>,
        /// The sweep file (TOML): the graph, the axes, the analyses, the plots.
        sweep: Option<PathBuf>,
        /// Output folder: rows.jsonl (as combinations finish), sweep.h5, heat maps.
        #[arg(long, default_value = "out-sweep")]
        out: PathBuf,
        /// Worker threads (0: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Where combinations run: auto, cpu or vulkan.
        #[arg(long, default_value = "auto")]
        backend: String,
        /// Print no progress.
        #[arg(long, short)]
        quiet: bool,
        /// Override a value of the sweep file (`duration_ms=2000`,
        /// `axes.0.values=[0.1, 0.2]`) or, prefixed `graph.`, of its graph
        /// (`graph.simulation.dt_ms=0.05`); repeatable. A sweep resumes
        /// only with the same overrides.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Say what the sweep would do (its combinations, the time they
        /// would take from a short calibration run, the disk needed) and
        /// write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write into --out even when it holds another run's or another
        /// sweep's files (another sweep's rows.jsonl is started afresh;
        /// nothing else is removed).
        #[arg(long)]
        force: bool,
        /// Run only shard K of N (K from 1): the combinations i with
        /// i mod N = K − 1, logged in rows.shard-K-of-N.jsonl; no table
        /// until `brainstream sweep merge`. Default inside a Slurm job
        /// array: SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN + 1 of
        /// SLURM_ARRAY_TASK_COUNT.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// List actor kinds (ports, parameters, units), models (parameters,
    /// state variables, coupled variables, observables), couplings and
    /// integrators: all, or the one named.
    List {
        /// An actor kind, model, coupling or integrator, e.g. `mean_field`
        /// or `ReducedWongWang`.
        name: Option<String>,
        /// JSON for tools (its shape: docs/design.md, "The command line").
        #[arg(long)]
        json: bool,
    },
    /// Neural mass model declarations: print a built-in one, check your own.
    Model {
        #[command(subcommand)]
        cmd: ModelCmd,
    },
}

/// `run`'s live view, steering and pacing (docs/live.md).
#[derive(clap::Args, Clone, Debug, Default)]
struct LiveArgs {
    /// Serve a live view of the run (progress, traces, rates, raster, FC,
    /// actors' busy time; pause and steer) at ADDR:PORT (default
    /// 127.0.0.1 and a free port); the URL, with its token, is printed.
    #[arg(long, value_name = "ADDR:PORT", num_args = 0..=1, default_missing_value = "127.0.0.1:0")]
    serve: Option<String>,
    /// Keep serving the page this many seconds after the run has ended.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0.0,
        requires = "serve"
    )]
    serve_linger: f64,
    /// Apply the parameter changes of an earlier steered run (its
    /// steering.jsonl) at the same windows: the same results bit for bit.
    #[arg(long, value_name = "EVENTS")]
    replay: Option<PathBuf>,
    /// Pace the run to the wall clock (simulated ms = wall ms); the lag of
    /// every window goes to OUT/realtime.tsv.
    #[arg(long)]
    realtime: bool,
}

impl LiveArgs {
    fn any(&self) -> bool {
        self.serve.is_some() || self.replay.is_some() || self.realtime
    }
}

#[derive(Subcommand)]
enum SweepAction {
    /// Gather the row logs of a sweep's shards (rows.shard-K-of-N.jsonl)
    /// into its table and heat maps: the same sweep.h5 as one process.
    Merge {
        /// Folders holding the shards' logs (one shared --out, or one per shard).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write sweep.h5, the heat maps and the merged rows.jsonl
        /// (default: the first folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ModelCmd {
    /// Print a built-in model's declaration, as your own file would be
    /// written (e.g. `brainstream model show Generic2dOscillator > mine.toml`).
    Show { name: String },
    /// Check a model declaration: syntax, names, a derivative for every
    /// state variable, vectors; every problem as FILE:LINE:COL with a hint.
    Check { file: PathBuf },
}

/// The `tracing` target of notices from external processes (a slow
/// one-time step, e.g. building the NEST adapter): the external actor's
/// `NOTICE_TARGET` (brainstream-actors, external/process.rs).
const NOTICE_TARGET: &str = "brainstream::notice";

/// Logs on stderr at the verbosity asked; notices of slow one-time steps
/// always, as `note: …` lines (unless RUST_LOG turns them off).
fn init_tracing(v: u8) {
    use tracing_subscriber::prelude::*;
    let default = match v {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let notices = std::env::var("RUST_LOG").map_or(true, |r| !r.contains(NOTICE_TARGET));
    // colours only at a terminal (a partition's stderr is its log file)
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter)
        .with_filter(tracing_subscriber::filter::filter_fn(move |m| {
            !notices || m.target() != NOTICE_TARGET
        }));
    let notes = notices.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .without_time()
            .with_target(false)
            .with_level(false)
            .event_format(Note)
            .with_filter(tracing_subscriber::filter::filter_fn(|m| {
                m.target() == NOTICE_TARGET
            }))
    });
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(notes)
        .with(relay::Remember)
        .try_init();
}

/// A notice as one plain line: `note: MESSAGE`.
struct Note;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Note
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(w, "note: ")?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // stopped by Ctrl-C or SIGTERM: where it stopped, 128 + the signal
        Err(e) => match signals::received() {
            Some(sig) => {
                eprintln!("{e}");
                ExitCode::from(signals::exit_status(sig))
            }
            None => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn real_main(cli: Cli) -> Result<(), String> {
    match cli.cmd {
        Cmd::Run {
            graph,
            out,
            mut set,
            quiet,
            partition,
            run_token,
            launched,
            transport,
            allow_large,
            strict,
            force,
            backend,
            live,
            ckpt,
        } => {
            if strict {
                set.push("simulation.strict_ranges=true".into());
            }
            if let Some(b) = backend {
                let more = brainstream::mean_field_backend(&graph, &set, &b)?;
                set.extend(more);
            }
            let transport = match transport.as_deref() {
                None => None,
                Some("channel") => {
                    Some(brainstream::runtime::graph::descriptor::Transport::Channel)
                }
                Some("zmq") => Some(brainstream::runtime::graph::descriptor::Transport::Zmq),
                Some("shm") => Some(brainstream::runtime::graph::descriptor::Transport::Shm),
                Some(o) => return Err(format!("--transport {o}: use channel, shm or zmq")),
            };
            let mut g = load_graph(&graph, set.clone()).map_err(|e| e.to_string())?;
            if live.replay.is_some() {
                // the replayed events bring the changes the controllers made
                let (replayed, left_out) =
                    brainstream::without_controllers(g).map_err(|e| e.to_string())?;
                g = replayed;
                if !left_out.is_empty() {
                    eprintln!(
                        "--replay: left out the controller{} {} (the replayed events bring the changes made through `control` inputs)",
                        if left_out.len() == 1 { "" } else { "s" },
                        left_out.join(", ")
                    );
                }
            }
            // `mpirun -n P brainstream run GRAPH`: rank r runs partition r,
            // edges between ranks over tcp found through MPI (src/mpi/cosim.rs)
            // (edges carried by MPI itself: its calls on a thread of their own)
            let mpi_edges = g
                .edges
                .iter()
                .any(|e| e.transport == brainstream::runtime::graph::descriptor::Transport::Mpi);
            let ranks = mpi::start_with("run", mpi_edges)?;
            let (partition, run_token, _watch) = match &ranks {
                Some(r) => {
                    let p = mpi::cosim::prepare(r, &mut g).unwrap_or_else(|e| r.abort(&e));
                    (Some(p.partition), Some(p.token), Some(p.watch))
                }
                None => {
                    mpi::refuse_mpi_edges(&g)?;
                    (partition, run_token, None)
                }
            };
            let mut record = None;
            if !launched {
                // before any work: a folder holding another run's files, or
                // a run that cannot fit, is refused
                let hash = g.hash();
                out_dir::check(
                    &out,
                    &Writer::Run {
                        graph_file: &graph,
                        hash: &hash,
                    },
                    force,
                )?;
                for w in g
                    .check_machine(Some(&out), allow_large)
                    .map_err(|e| e.to_string())?
                {
                    eprintln!("warning: {w}");
                }
                record = Some(out_dir::record(&out, &graph, &hash)?);
            }
            let parts = g.partitions();
            if live.any() && (partition.is_some() || parts.len() > 1) {
                return Err(format!(
                    "{}: --serve, --replay and --realtime run a graph in one process; this one has partitions ({}), which they do not support (a live view served by one partition for all is not built). {}",
                    graph.display(),
                    parts.join(", "),
                    one_process_hint(&g, &graph)
                ));
            }
            if partition.is_none() && parts.len() > 1 {
                drop(g);
                let forced = transport.map(|t| format!("{t:?}").to_lowercase());
                return launch(
                    &graph,
                    &out,
                    &set,
                    &parts,
                    forced.as_deref(),
                    quiet,
                    record.as_ref(),
                    &ckpt.child_args(),
                )
                .inspect(|()| checkpoint_cmd::report_partitions(&out, &parts, &ckpt));
            }
            let checkpoint = checkpoint_cmd::plan(
                &out,
                &graph,
                &set,
                ckpt.checkpoint_every,
                ckpt.stop_at,
                ckpt.resume_from.as_deref(),
                partition.as_deref(),
            )?;
            let res = run(
                g,
                out.clone(),
                quiet,
                partition,
                run_token,
                launched,
                transport,
                live,
                checkpoint,
            );
            if let Some(r) = &record {
                r.finish();
            }
            res
        }
        Cmd::Validate {
            graph,
            mut set,
            out,
            allow_large,
            strict,
        } => {
            if is_sweep_file(&graph) {
                if strict {
                    set.push("graph.simulation.strict_ranges=true".into());
                }
                return validate_sweep(&graph, &set);
            }
            if strict {
                set.push("simulation.strict_ranges=true".into());
            }
            let g = load_graph(&graph, set).map_err(|e| e.to_string())?;
            if let Some(out) = &out {
                let hash = g.hash();
                let me = Writer::Run {
                    graph_file: &graph,
                    hash: &hash,
                };
                if let Err(why) = out_dir::check(out, &me, false) {
                    eprintln!("warning: a run would be refused: {why}");
                }
            }
            let warnings = g
                .check_machine(out.as_deref(), allow_large)
                .map_err(|e| e.to_string())?;
            for w in warnings {
                eprintln!("warning: {w}");
            }
            use brainstream::runtime::machine::human;
            say!(
                "{}: ok — {}, {}, {} of {} ms in {} of {} ms ({} scheme); needs about {} of memory, writes about {}",
                graph.display(),
                count(g.actors.len() as u64, "actor"),
                count(g.edges.len() as u64, "edge"),
                count(g.total_steps, "step"),
                g.dt_ms,
                count(g.n_windows(), "window"),
                g.window_steps as f64 * g.dt_ms,
                format!("{:?}", g.scheme()).to_lowercase(),
                human(g.footprint.memory_bytes),
                human(g.footprint.disk_bytes)
            );
            Ok(())
        }
        Cmd::Graph { graph, set, dot } => {
            let g = load_graph(&graph, set).map_err(|e| e.to_string())?;
            if !dot {
                return Err(format!(
                    "{}: ok, but which format? --dot prints Graphviz DOT, the only format for now\n  hint: brainstream graph {} --dot | dot -Tsvg > graph.svg",
                    graph.display(),
                    graph.display()
                ));
            }
            {
                use std::io::Write;
                let _ = write!(std::io::stdout(), "{}", to_dot(&g));
            }
            Ok(())
        }
        Cmd::Resume {
            checkpoint,
            out,
            graph,
            rest,
        } => {
            let args = checkpoint_cmd::resume_args(&checkpoint, &out, graph.as_deref(), &rest)?;
            let parsed = Cli::try_parse_from(args).map_err(|e| format!("resume: {e}"))?;
            real_main(parsed)
        }
        Cmd::Steer {
            url,
            changes,
            pause,
            resume,
        } => {
            for line in serve::steer_cmd::steer(&url, &changes, pause, resume)? {
                say!("{line}");
            }
            Ok(())
        }
        Cmd::List { name, json } => {
            let text = list_cmd::list(name.as_deref(), json)?;
            say!("{}", text.trim_end());
            Ok(())
        }
        Cmd::Model { cmd } => {
            let text = match cmd {
                ModelCmd::Show { name } => model_cmd::show(&name)?,
                ModelCmd::Check { file } => model_cmd::check(&file)?,
            };
            say!("{}", text.trim_end());
            Ok(())
        }
        Cmd::Sweep {
            action: Some(SweepAction::Merge { dirs, out }),
            ..
        } => sweep_cmd::merge(&dirs, out.as_deref()),
        Cmd::Sweep {
            action: None,
            sweep: None,
            ..
        } => Err(
            "give a sweep file (brainstream sweep FILE), or `brainstream sweep merge DIR…`".into(),
        ),
        Cmd::Sweep {
            action: None,
            sweep: Some(file),
            out,
            threads,
            backend,
            quiet,
            set,
            dry_run,
            force,
            shard,
        } => sweep_cmd::sweep(sweep_cmd::Args {
            file,
            out,
            threads,
            backend,
            quiet,
            set,
            dry_run,
            force,
            shard,
        }),
    }
}

/// Whether `path` is a sweep file: TOML whose top level has `axes`, or a
/// `graph` that is a file name (a graph file has neither).
fn is_sweep_file(path: &std::path::Path) -> bool {
    if path.extension().is_some_and(|e| e == "json") {
        return false;
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.len() > brainstream::runtime::graph::load::MAX_GRAPH_BYTES {
        return false;
    }
    let Ok(t) = std::fs::read_to_string(path) else {
        return false;
    };
    match toml::from_str::<toml::Table>(&t) {
        Ok(t) => t.contains_key("axes") || t.get("graph").is_some_and(|g| g.is_str()),
        // a broken file: a sweep file's keys at the start of a line
        Err(_) => t.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("[[axes]]") || (l.starts_with("graph") && l.contains('"'))
        }),
    }
}

/// `brainstream validate SWEEP`: every check of the sweep and its graph.
fn validate_sweep(file: &std::path::Path, set: &[String]) -> Result<(), String> {
    let plan = sweep_cmd::load(file, set)?;
    let axes: Vec<&str> = plan.axes.iter().map(|a| a.name.as_str()).collect();
    use brainstream::runtime::machine::human;
    say!(
        "{}: ok — sweep of {} ({}): {} over {}, {} ms each ({} of {} ms), {} per combination; writes about {}",
        file.display(),
        plan.graph_path.display(),
        plan.base.model.name,
        count(plan.points.len() as u64, "combination"),
        axes.join(", "),
        plan.steps as f64 * plan.base.dt_ms,
        count(plan.steps as u64, "step"),
        plan.base.dt_ms,
        count(plan.columns().len() as u64, "column"),
        human(brainstream::sweep::estimate::disk_bytes(&plan) as f64)
    );
    Ok(())
}

/// How to run partitioned graph `g` (file `graph`) in one process, for
/// the live view, steering and real time: every actor moved into the
/// first partition (`main` where there is one), edges carried by MPI onto
/// the in-process channel (`--set` overrides, which change the graph's
/// hash: a checkpoint of the partitioned run does not resume so).
fn one_process_hint(g: &brainstream::ValidGraph, graph: &std::path::Path) -> String {
    let parts = g.partitions();
    let into = if parts.iter().any(|p| p == "main") {
        "main".to_string()
    } else {
        parts.first().cloned().unwrap_or_default()
    };
    let mut sets: Vec<String> = g
        .actors
        .iter()
        .filter(|a| a.process != into)
        .map(|a| format!("--set actors.{}.process={into}", a.name))
        .collect();
    sets.extend(
        g.edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.transport == brainstream::runtime::graph::descriptor::Transport::Mpi)
            .map(|(k, _)| format!("--set edges.{k}.transport=channel")),
    );
    format!(
        "Run it in one process instead (the actors of every partition as threads of one; what they compute does not depend on where they run): brainstream run {} {} …",
        graph.display(),
        sets.join(" ")
    )
}

/// Runs each partition as its own process (this program, `--partition
/// NAME`) and waits for all; when one fails or dies, the others are stopped
/// and the error names it, with the tail of its messages. The partitions
/// are in a process group of their own: Ctrl-C at a terminal reaches only
/// this launcher, which forwards it (and SIGTERM) to each and waits for
/// them to finish their recordings.
#[allow(clippy::too_many_arguments)]
fn launch(
    graph: &std::path::Path,
    out: &std::path::Path,
    set: &[String],
    parts: &[String],
    transport: Option<&str>,
    quiet: bool,
    record: Option<&out_dir::Record>,
    extra: &[String],
) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    use brainstream::runtime::transport;
    // the partitions' shared-memory files and sockets are named by it; the
    // key authenticates the edges at endpoints the graph names
    let token = brainstream::runtime::seed::run_token();
    let key = transport::RunKey::random_text();
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let t0 = std::time::Instant::now();
    // a signal goes on to every partition; a second one too, then the
    // run's files are removed and this process exits at once
    let pids = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let (p1, p2, t) = (pids.clone(), pids.clone(), token.clone());
    let to_all = |pids: &std::sync::Mutex<Vec<u32>>, sig: i32| {
        for &pid in pids.lock().map(|v| v.clone()).unwrap_or_default().iter() {
            signals::forward(pid, sig);
        }
    };
    signals::watch(
        move |sig| to_all(&p1, sig),
        move |sig| {
            to_all(&p2, sig);
            transport::remove_run_files(&t);
        },
    )
    .map_err(|e| format!("cannot watch signals: {e}"))?;
    let mut children = vec![];
    for p in parts {
        let log = out.join(format!("partition-{p}.log"));
        let f = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut c = Command::new(&exe);
        c.arg("run")
            .arg(graph)
            .arg("--out")
            .arg(out)
            .args(["--partition", p, "--launched", "-q"]);
        // in the environment, which other users cannot read (unlike the
        // command line, which `ps` shows)
        c.env(transport::RUN_TOKEN_ENV, &token)
            .env(transport::RUN_KEY_ENV, &key);
        for s in set {
            c.args(["--set", s]);
        }
        if let Some(t) = transport {
            c.args(["--transport", t]);
        }
        c.args(extra);
        use std::os::unix::process::CommandExt;
        let child = c
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::from(f))
            .spawn()
            .map_err(|e| format!("cannot start partition `{p}`: {e}"))?;
        if !quiet {
            eprintln!(
                "partition `{p}`: process {} (messages in {})",
                child.id(),
                log.display()
            );
        }
        if let Ok(mut v) = pids.lock() {
            v.push(child.id());
        }
        children.push((p.clone(), child, log));
    }
    // a signal that came while they were starting
    if let Some(sig) = signals::received() {
        to_all(&pids, sig);
    }
    // their warnings and notices, once, as they come (not those this
    // launcher printed itself: every partition reads the whole graph)
    let mut relay = relay::Relay::new(
        children
            .iter()
            .map(|(p, _, log)| (p.clone(), log.clone()))
            .collect(),
        relay::logged(),
    );
    let mut failed: Option<String> = None;
    let mut running: Vec<bool> = vec![true; children.len()];
    while running.iter().any(|r| *r) {
        relay.poll(&mut std::io::stderr(), false);
        for (k, (p, c, _)) in children.iter_mut().enumerate() {
            if !running[k] {
                continue;
            }
            match c.try_wait() {
                Ok(Some(st)) => {
                    running[k] = false;
                    // after a signal, partitions stop (non-zero) as asked
                    if !st.success() && failed.is_none() && signals::received().is_none() {
                        let how = match st.code() {
                            Some(code) => format!("exited with status {code}"),
                            None => "was killed by a signal".to_string(),
                        };
                        // what it said last, less what was relayed
                        relay.poll(&mut std::io::stderr(), false);
                        failed = Some(format!(
                            "partition `{p}` {how}; its last messages:\n{}",
                            relay.tail(k, 12)
                        ));
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    running[k] = false;
                    failed.get_or_insert(format!("partition `{p}`: {e}"));
                }
            }
        }
        if let Some(f) = &failed {
            // stop the others (they would wait on the lost one): their input
            // closes with the reason, they finish their recordings and exit;
            // whoever is still there after 4 s is killed
            let why = f.lines().next().unwrap_or("");
            let why = why.trim_end_matches("; its last messages:").to_string();
            for (k, (_, c, _)) in children.iter_mut().enumerate() {
                if running[k] {
                    if let Some(mut stdin) = c.stdin.take() {
                        use std::io::Write;
                        let _ = writeln!(stdin, "{why}");
                    }
                }
            }
            let t = std::time::Instant::now();
            while t.elapsed() < std::time::Duration::from_secs(4)
                && children
                    .iter_mut()
                    .enumerate()
                    .any(|(k, (_, c, _))| running[k] && matches!(c.try_wait(), Ok(None)))
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            for (k, (_, c, _)) in children.iter_mut().enumerate() {
                if running[k] {
                    let _ = c.kill();
                    let _ = c.wait();
                    running[k] = false;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    relay.poll(&mut std::io::stderr(), true);
    // what a partition killed outright left (its sockets, its shared-memory files)
    transport::remove_run_files(&token);
    let written = record.map(|r| r.finish()).unwrap_or_default();
    if let Some(sig) = signals::received() {
        let logs: Vec<_> = children.iter().map(|(_, _, log)| log.as_path()).collect();
        if let Some(m) = stopped_partitions(sig, out, &logs) {
            return Err(m);
        }
    }
    if let Some(f) = failed {
        return Err(f);
    }
    say!(
        "ran {} ({}) in {:.3} s wall",
        count(parts.len() as u64, "partition"),
        parts.join(", "),
        t0.elapsed().as_secs_f64()
    );
    for f in written {
        say!("wrote {}", f.display());
    }
    Ok(())
}

/// Where partitions stopped by a signal stopped, in one line, from the
/// last "stopped by …" line of each one's log: the furthest window reached,
/// and the time up to which every partition's recordings are complete.
/// None: no partition said it stopped (they had all finished).
fn stopped_partitions(
    sig: i32,
    out: &std::path::Path,
    logs: &[&std::path::Path],
) -> Option<String> {
    // "stopped by X in window W (t = T ms); recordings in OUT are complete up to t = C ms"
    let number = |s: &str, after: &str| -> Option<f64> {
        let rest = &s[s.rfind(after)? + after.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    };
    let mut furthest: Option<(f64, f64)> = None;
    let mut complete: Option<f64> = None;
    let mut none_recorded = true;
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let Some(line) = text.lines().rev().find(|l| l.starts_with("stopped by ")) else {
            continue;
        };
        if let (Some(w), Some(t)) = (number(line, " in window "), number(line, "(t = ")) {
            if furthest.is_none_or(|(fw, _)| w > fw) {
                furthest = Some((w, t));
            }
        }
        if let Some(c) = number(line, "complete up to t = ") {
            none_recorded = false;
            complete = Some(complete.map_or(c, |m: f64| m.min(c)));
        }
    }
    let (w, t) = furthest?;
    Some(format!(
        "stopped by {} in window {w} (t = {t} ms); {}",
        signals::name(sig),
        match complete {
            Some(c) if !none_recorded => format!(
                "recordings in {} are complete up to t = {c} ms",
                out.display()
            ),
            _ => "nothing was recorded".to_string(),
        }
    ))
}

/// A variable of the environment, if set and not empty.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[allow(clippy::too_many_arguments)]
fn run(
    g: brainstream::ValidGraph,
    out: PathBuf,
    quiet: bool,
    partition: Option<String>,
    run_token: Option<String>,
    launched: bool,
    transport: Option<brainstream::runtime::graph::descriptor::Transport>,
    live_args: LiveArgs,
    checkpoint: Option<std::sync::Arc<brainstream::runtime::Checkpointing>>,
) -> Result<(), String> {
    use brainstream::runtime::transport as transport_env;
    // names the run's shared-memory files and sockets
    let token = run_token
        .or_else(|| env_var(transport_env::RUN_TOKEN_ENV))
        .unwrap_or_else(brainstream::runtime::seed::run_token);
    // Ctrl-C or SIGTERM stops the run as a failure would: every actor
    // finishes, recorders keep every complete window, plots are drawn, the
    // edges' files are removed. A second one exits at once, removing them.
    let cancel = std::sync::Arc::new(brainstream::runtime::Cancel::new());
    let (c, t) = (cancel.clone(), token.clone());
    signals::watch(
        move |sig| c.cancel(signals::name(sig)),
        move |_| {
            transport_env::remove_run_files(&t);
        },
    )
    .map_err(|e| format!("cannot watch signals: {e}"))?;
    // A partition started by the launcher stops when its standard input
    // closes (the launcher stopping it, or the launcher gone): the first
    // line, if any, is the reason.
    if launched {
        let c = cancel.clone();
        let _ = std::thread::Builder::new()
            .name("stdin-watch".into())
            .spawn(move || {
                use std::io::BufRead;
                let mut line = String::new();
                let _ = std::io::stdin().lock().read_line(&mut line);
                let why = line.trim();
                c.cancel(if why.is_empty() {
                    "the launcher (it closed this partition's input)".to_string()
                } else {
                    format!("the launcher ({why})")
                });
            });
    }
    let resumed = checkpoint.as_ref().and_then(|c| c.resume.as_ref());
    let (hooks, watch) = watch_run(&g, &out, &cancel, &live_args, partition.as_deref(), resumed)?;
    let total = g.total_steps;
    let tty = std::io::stderr().is_terminal();
    let bar = (!quiet && tty).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {msg} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut lines = progress::Lines::new(0);
    let progress = |p: Progress| {
        let sim_ms = p.steps_done as f64 * p.dt_ms;
        let tot_ms = p.total_steps as f64 * p.dt_ms;
        if let Some(b) = &bar {
            b.set_position(p.steps_done);
            b.set_message(format!("{sim_ms:.1}/{tot_ms:.1} ms"));
        } else if !quiet {
            let what = format!("{sim_ms:.1} of {tot_ms:.1} ms simulated");
            if let Some(l) = lines.line(p.steps_done, p.total_steps, &what) {
                eprintln!("{l}");
            }
        }
    };
    let res = run_graph(
        g,
        &RunOptions {
            out_dir: out.clone(),
            cancel: Some(cancel),
            partition,
            run_token: Some(token),
            run_key: mpi::cosim::run_key().or_else(|| env_var(transport_env::RUN_KEY_ENV)),
            transport,
            mpi: mpi::cosim::edge_carrier(),
            hooks,
            checkpoint,
        },
        progress,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    watch.end(&res, live_args.serve_linger)?;
    let s = res.map_err(|e| e.to_string())?;
    say!(
        "simulated {:.1} ms in {:.3} s wall (real-time factor {:.2}), {} of {}",
        s.simulated_ms,
        s.wall.as_secs_f64(),
        s.real_time_factor(),
        count(s.windows, "window"),
        count(s.window_steps, "step")
    );
    for f in &s.files {
        say!("wrote {}", f.display());
    }
    checkpoint_cmd::report(&s, &out);
    let busy: f64 = s.busy.iter().map(|b| b.1.as_secs_f64()).sum();
    tracing::info!(
        busy_s = busy,
        wall_s = s.wall.as_secs_f64(),
        "time in actor steps (serial scheme: the rest is exchange and scheduling)"
    );
    for (name, b) in &s.busy {
        tracing::info!(actor = %name, busy_s = b.as_secs_f64(), "actor compute time");
    }
    Ok(())
}

/// What watches a run in this process: the live view's server, pacing.
#[derive(Default)]
struct Watch {
    server: Option<serve::server::Server>,
    live: Option<serve::live::Live>,
    pace: Option<std::sync::Arc<serve::pace::Pace>>,
}

/// The window hooks `--serve`, `--replay` and `--realtime` ask for, and
/// steering's events file when an actor here has a `control` input or the
/// run resumes from a checkpoint (its events file then begins with the
/// checkpointed run's changes before the checkpoint); starts the server
/// (and prints its URL).
fn watch_run(
    g: &brainstream::ValidGraph,
    out: &std::path::Path,
    cancel: &std::sync::Arc<brainstream::runtime::Cancel>,
    a: &LiveArgs,
    partition: Option<&str>,
    resumed: Option<&brainstream::runtime::checkpoint::Saved>,
) -> Result<(brainstream::runtime::Hooks, Watch), String> {
    use serve::{control::Control, live::Live};
    use std::sync::Arc;
    let mut hooks = brainstream::runtime::Hooks::none();
    let mut w = Watch::default();
    // an actor of this process steered by another through its `control` input
    let controlled = g.edges.iter().any(|e| {
        e.ty == brainstream::runtime::PortType::Control
            && partition.is_none_or(|p| g.actors[e.to].process == p)
    });
    if !a.any() && !controlled && resumed.is_none() {
        return Ok((hooks, w));
    }
    // one file per partition: each writes the changes of its own actors
    let events_file = match partition {
        None => serve::control::EVENTS_FILE.to_string(),
        Some(p) => format!("steering-{p}.jsonl"),
    };
    let carried = match resumed {
        Some(s) => {
            let from = s.header.out_dir.join(&events_file);
            let c = serve::control::carried_events(&from, s.header.window)?;
            if s.header.format < 2 && !c.events.is_empty() {
                return Err(format!(
                    "{}: a checkpoint of format 1 holds no steered values, and its run made {} before window {} ({}): resumed, it would continue with the graph's values; run the graph again (with --replay {} to steer it the same way)",
                    s.path.display(),
                    count(c.events.len() as u64, "change"),
                    s.header.window,
                    from.display(),
                    from.display()
                ));
            }
            c
        }
        None => Default::default(),
    };
    let events = match &a.replay {
        Some(p) => {
            let ev = serve::control::read_events(p)?;
            let names: Vec<String> = g.actors.iter().map(|a| a.name.clone()).collect();
            serve::control::check_replay(&ev, &names, g.n_windows(), p)?;
            ev
        }
        None => vec![],
    };
    let live = Live::new();
    let control = Arc::new(Control::new(
        live.clone(),
        Some(cancel.clone()),
        &out.join(&events_file),
        events,
        a.replay.clone(),
        carried,
    )?);
    if let Some(addr) = &a.serve {
        let server = serve::server::start(addr, live.clone(), control.clone())?;
        if !server.addr.ip().is_loopback() {
            eprintln!(
                "warning: --serve {addr} listens beyond this machine: whoever has the URL (with its token) can watch, pause and steer the run"
            );
        }
        eprintln!("live view: {}", server.url());
        w.server = Some(server);
        hooks.push(Arc::new(live.clone()));
        w.live = Some(live);
    }
    hooks.push(control.clone());
    if a.realtime {
        let pace = Arc::new(serve::pace::Pace::new(
            out.to_path_buf(),
            control.paused_ns.clone(),
        ));
        hooks.push(pace.clone());
        w.pace = Some(pace);
    }
    Ok((hooks, w))
}

impl Watch {
    /// After the run: the page learns how it ended and stays up `linger`
    /// seconds (or until Ctrl-C); the lags are reported.
    fn end(
        self,
        res: &Result<brainstream::RunSummary, brainstream::RuntimeError>,
        linger: f64,
    ) -> Result<(), String> {
        if let Some(l) = &self.live {
            l.finish(res.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
        if let Some(p) = &self.pace {
            let (path, s) = p.report()?;
            eprintln!(
                "real time: {} late of {} (lag > 1 ms); lag mean {:.2} ms, max {:.2} ms (window {}); every window in {}",
                count(s.late as u64, "window"),
                s.windows,
                s.mean_ms,
                s.max_ms,
                s.max_window,
                path.display()
            );
        }
        if let Some(server) = &self.server {
            if linger > 0.0 && signals::received().is_none() {
                eprintln!(
                    "live view: serving the finished run for {linger} s more at {}",
                    server.url()
                );
                let t = std::time::Instant::now();
                while t.elapsed().as_secs_f64() < linger && signals::received().is_none() {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
        }
        Ok(())
    }
}
