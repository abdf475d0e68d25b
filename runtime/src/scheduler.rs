//! The lockstep scheduler: one thread per actor, one bounded channel per
//! edge, windows of `window_steps` steps.
//!
//! Data flow of one window `w` (steps `s0 .. s0+n`):
//! 1. each input edge delivers what the consumer may see: a zero-delay edge
//!    delivers the producer's window `w`; an edge with delay `D ≥ n` steps
//!    delivers the producer's samples stamped `k` with `k + D ∈ [s0, s0+n)`
//!    (spikes shifted by `D·dt`), which lie in producer windows before `w`;
//! 2. the actor steps the window;
//! 3. its outputs go to every outgoing edge, one message per edge and window.
//!
//! `serial` steps the actors one after the other on a single thread, in
//! dependency order (no thread hand-offs: every input is already there);
//! `parallel` gives every actor its own thread, running as soon as its
//! inputs are there. Both compute exactly the same values: which data an actor sees
//! depends only on the delays, never on the timing. In `parallel`, an actor
//! whose windows are computed by another program ([`Pipelined`]) is handed
//! the inputs of the next windows before it gives back its outputs, as far
//! as the delays around it allow ([`ValidGraph::lookahead`]).
//!
//! [`Pipelined`]: crate::Pipelined
//!
//! Failure: an actor's error (or panic) stops the whole run; every other
//! actor notices within 50 ms at its next wait, and every actor's `finish`
//! runs so that recorders close valid files.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, RecvTimeoutError};
use tracing::{debug, debug_span, info, trace_span};

use crate::actor::{Inputs, Outputs, RunContext, WindowInfo};
use crate::edge::{send, Failure, InEdge, Msg, OutEdge, RecvFail, Shared};
use crate::error::{ActorError, RuntimeError};
use crate::graph::descriptor::{Scheme, Transport};
use crate::graph::validate::ValidGraph;
use crate::payload::Spikes;
use crate::seed::derive_seed;

/// Options of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where actors write their files (created if missing).
    pub out_dir: PathBuf,
    /// Run only the actors of this partition (`process = "NAME"`); edges to
    /// and from the others go over ZeroMQ. None: every actor, in this process.
    pub partition: Option<String>,
    /// Names the run's private `ipc://` sockets; the partitions of one run
    /// share it (the launcher passes it). None: a random one.
    pub run_token: Option<String>,
    /// Authenticates the edges at endpoints the graph names (at least 32
    /// characters); the partitions of one run share it (the launcher passes
    /// it in `BRAINSTREAM_RUN_KEY`). None: a random one when this process
    /// runs every actor; for a partition, such edges fail naming the
    /// variable.
    pub run_key: Option<String>,
    /// Every edge over this transport (testing the transports on any graph).
    pub transport: Option<Transport>,
    /// Carries the edges with `transport = "mpi"` between this partition
    /// and the others, run as MPI ranks (the root crate's `mpi` feature).
    /// None: such an edge is refused, naming it.
    pub mpi: Option<Arc<dyn crate::transport::EdgeCarrier>>,
    /// Stops the run from outside (a launcher, a signal): actors finish as
    /// after a failure, recorders keep every complete window.
    pub cancel: Option<Arc<Cancel>>,
    /// Called around every actor's windows (the live view, steering,
    /// pacing): see [`WindowHook`](crate::WindowHook).
    pub hooks: crate::Hooks,
    /// Checkpoints to write (`--checkpoint-every`, `--stop-at`, Ctrl-C),
    /// and the one to continue from (`brainstream resume`).
    pub checkpoint: Option<Arc<crate::checkpoint::Checkpointing>>,
}

/// A request to stop a run (or a sweep) from outside, with who asked.
#[derive(Default)]
pub struct Cancel {
    flag: AtomicBool,
    reason: Mutex<String>,
    /// The failures of the run it stops (once the run has started).
    run: Mutex<Option<Arc<Shared>>>,
    /// How many failures the run had when it was cancelled: those came
    /// first, the others may be the stop's echoes (a partition stopped by
    /// the same signal, a child process killed by it).
    failures_before: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cause", &self.taken())
            .finish()
    }
}

impl Cancel {
    /// Not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Stops the run; `cause` says who stopped it, as in "stopped by
    /// CAUSE": `SIGINT`, `the launcher (partition `a` exited with status
    /// 1)`. The first cause stays.
    pub fn cancel(&self, cause: impl Into<String>) {
        let Ok(mut r) = self.reason.lock() else {
            return;
        };
        if self.flag.load(Ordering::SeqCst) {
            return;
        }
        *r = cause.into();
        let before = match self.run.lock().ok().as_deref() {
            Some(Some(shared)) => shared.failures.lock().map(|f| f.len()).unwrap_or(0),
            _ => 0,
        };
        self.failures_before.store(before, Ordering::SeqCst);
        self.flag.store(true, Ordering::SeqCst);
    }

    /// From now on, a cancellation notes how many failures `shared` had.
    fn attach(&self, shared: Option<Arc<Shared>>) {
        if let Ok(mut r) = self.run.lock() {
            *r = shared;
        }
    }
    /// Whether the run has been asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
    /// Who stopped it, once someone has.
    pub fn taken(&self) -> Option<String> {
        self.flag
            .load(Ordering::SeqCst)
            .then(|| self.reason.lock().map(|r| r.clone()).unwrap_or_default())
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            out_dir: PathBuf::from("out"),
            partition: None,
            run_token: None,
            run_key: None,
            transport: None,
            mpi: None,
            cancel: None,
            hooks: crate::Hooks::none(),
            checkpoint: None,
        }
    }
}

/// Progress, reported from the calling thread about every 100 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps completed by every actor.
    pub steps_done: u64,
    pub total_steps: u64,
    pub dt_ms: f64,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub simulated_ms: f64,
    pub wall: Duration,
    pub windows: u64,
    pub window_steps: u64,
    pub files: Vec<PathBuf>,
    /// Time each actor spent in `step` (its computation), by name. With the
    /// serial scheme, `wall − Σ busy` is the time spent exchanging and
    /// scheduling.
    pub busy: Vec<(String, Duration)>,
    /// Checkpoints written: (time, ms; folder).
    pub checkpoints: Vec<(f64, PathBuf)>,
    /// Stopped here (ms) with a checkpoint, as `--stop-at` asked.
    pub stopped_at_ms: Option<f64>,
}

impl RunSummary {
    /// Simulated time per wall time.
    pub fn real_time_factor(&self) -> f64 {
        self.simulated_ms / 1000.0 / self.wall.as_secs_f64().max(1e-12)
    }
}

fn panic_msg(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
}

/// Edge `k` (`transport = "mpi"`, from `fa` to `ta`): what names its far
/// end in messages and what carries it — the run's MPI carrier, which only
/// an MPI rank has, and only for an edge to another rank.
fn mpi_edge(
    k: usize,
    fa: &crate::graph::validate::BuiltActor,
    ta: &crate::graph::validate::BuiltActor,
    both_here: bool,
    carrier: Option<&Arc<dyn crate::transport::EdgeCarrier>>,
) -> Result<(String, crate::transport::Medium, bool), String> {
    let Some(c) = carrier else {
        return Err(format!(
            "edges[{k}] asks for transport = \"mpi\", and this run is not one of MPI ranks: \
             run the graph with `mpirun -n P brainstream run` (a brainstream built with the \
             `mpi` feature; one rank per partition), or use \"zmq\""
        ));
    };
    if both_here {
        return Err(format!(
            "edges[{k}] asks for transport = \"mpi\", and both its ends (`{}` in partition \
             `{}`, `{}` in partition `{}`) run in this process: MPI carries edges between ranks",
            fa.name, fa.process, ta.name, ta.process
        ));
    }
    Ok((
        format!("MPI (edges[{k}])"),
        crate::transport::Medium::Carried(c.clone()),
        false,
    ))
}

/// Runs a validated graph to the end, calling `progress` from this thread.
pub fn run(
    mut graph: ValidGraph,
    opts: &RunOptions,
    mut progress: impl FnMut(Progress),
) -> Result<RunSummary, RuntimeError> {
    std::fs::create_dir_all(&opts.out_dir).map_err(|source| RuntimeError::OutDir {
        path: opts.out_dir.clone(),
        source,
    })?;
    let t0 = Instant::now();
    let n_windows = graph.n_windows();
    let n = graph.window_steps;
    let total = graph.total_steps;
    let dt = graph.dt_ms;
    let scheme = graph.scheme();
    let seed = graph.desc.simulation.seed;
    let provenance: Arc<str> = graph.source.provenance().into();
    let graph_path = graph.source.path.clone();
    info!(
        actors = graph.actors.len(),
        edges = graph.edges.len(),
        windows = n_windows,
        window_steps = n,
        ?scheme,
        "starting run"
    );

    let shared = Arc::new(Shared {
        abort: AtomicBool::new(false),
        failures: Mutex::new(vec![]),
    });
    if let Some(c) = &opts.cancel {
        c.attach(Some(shared.clone()));
    }
    // which actors run here
    if let Some(p) = &opts.partition {
        let parts = graph.partitions();
        if !parts.contains(p) {
            return Err(RuntimeError::UnknownPartition {
                name: p.clone(),
                known: parts.join(", "),
            });
        }
    }
    let local: Vec<bool> = graph
        .actors
        .iter()
        .map(|a| opts.partition.as_ref().is_none_or(|p| &a.process == p))
        .collect();
    // unguessable: shared-memory files and ipc sockets are named by it
    let token = opts
        .run_token
        .clone()
        .unwrap_or_else(crate::seed::run_token);
    let graph_hash = graph.hash();
    // checkpointed: every actor here can save its state; resuming, each has
    // taken its saved one, and the run begins at the checkpoint's window
    let first = match &opts.checkpoint {
        Some(c) => c.prepare(
            &mut graph,
            &local,
            opts.partition.as_deref(),
            &graph_hash,
            &opts.out_dir,
        )?,
        None => 0,
    };
    let spawn_err = |e: std::io::Error| RuntimeError::ActorFailed {
        actor: "runtime".into(),
        window: 0,
        time_ms: 0.0,
        message: format!("cannot spawn a thread: {e}"),
    };

    // where the edges meet; removes what is left of them when it drops
    let mut rendezvous = crate::transport::rendezvous::Rendezvous::new(
        &token,
        opts.run_key.as_deref(),
        opts.partition.is_some(),
    );
    let mut connectors = vec![];
    let mut ins: Vec<Vec<InEdge>> = (0..graph.actors.len()).map(|_| vec![]).collect();
    let mut outs: Vec<Vec<OutEdge>> = (0..graph.actors.len()).map(|_| vec![]).collect();
    for (k, e) in graph.edges.iter().enumerate() {
        let (from_local, to_local) = (local[e.from], local[e.to]);
        if !from_local && !to_local {
            continue;
        }
        // room for the windows a delay spans, plus slack so that a producer
        // can run a few windows ahead instead of waking its consumer each time
        let cap = (e.delay_steps / n) as usize + 8;
        let (fa, ta) = (&graph.actors[e.from], &graph.actors[e.to]);
        let transport = opts.transport.unwrap_or(e.transport);
        // an edge between partitions running apart always needs a socket
        // (ZeroMQ unless it asks for shared memory)
        let socket = transport != Transport::Channel || !(from_local && to_local);
        let shm = transport == Transport::Shm;
        let in_edge = |rx| InEdge {
            rx,
            edge: k as u32,
            port: e.to_port,
            from: fa.name.clone(),
            delay: e.delay_steps,
            dt,
            window_steps: n,
            next: 0,
            pending_series: None,
            pending_spikes: Spikes::default(),
            is_spikes: false,
            finished: false,
            end_stamped: ta.kind.input(e.to_port).is_some_and(|p| p.end_stamped),
            ty: e.ty,
            single_thread: scheme == Scheme::Serial && !socket,
        };
        if !socket {
            let (tx, rx) = bounded(cap);
            outs[e.from].push(OutEdge {
                tx,
                port: e.from_port,
                to: ta.name.clone(),
            });
            ins[e.to].push(in_edge(rx));
            continue;
        }
        let name = format!("{}.{}->{}.{}", fa.name, e.from_port, ta.name, e.to_port);
        let edge_failed = |message: String| RuntimeError::ActorFailed {
            actor: "runtime".into(),
            window: 0,
            time_ms: 0.0,
            message: format!("edge {name}: {message}"),
        };
        let (endpoint, medium, authenticated) = if transport == Transport::Mpi {
            mpi_edge(k, fa, ta, from_local && to_local, opts.mpi.as_ref()).map_err(edge_failed)?
        } else {
            rendezvous
                .edge(k as u32, shm, e.endpoint.as_deref())
                .map_err(edge_failed)?
        };
        let link = crate::transport::Link {
            index: k as u32,
            name: name.clone(),
            from: (fa.name.clone(), fa.process.clone()),
            to: (ta.name.clone(), ta.process.clone()),
            endpoint,
            authenticated,
            hello: crate::wire::Hello {
                protocol: crate::wire::VERSION,
                graph_hash: graph_hash.clone(),
                dt_ms: dt,
                window_steps: n,
                edge: name,
                port_type: e.ty.to_string(),
                variables: vec![],
                nodes: vec![],
                unit: String::new(),
                peer: format!(
                    "brainstream {} partition {}",
                    env!("CARGO_PKG_VERSION"),
                    opts.partition.as_deref().unwrap_or("(all)")
                ),
            },
        };
        if from_local {
            let (tx, rx) = bounded(cap);
            outs[e.from].push(OutEdge {
                tx,
                port: e.from_port,
                to: ta.name.clone(),
            });
            let (l, sh, m) = (link.clone(), shared.clone(), medium.clone());
            connectors.push(
                std::thread::Builder::new()
                    .name(format!("edge-out-{k}"))
                    .spawn(move || crate::transport::sender(m, l, rx, sh))
                    .map_err(spawn_err)?,
            );
        }
        if to_local {
            let (tx, rx) = bounded(cap);
            ins[e.to].push(in_edge(rx));
            let sh = shared.clone();
            connectors.push(
                std::thread::Builder::new()
                    .name(format!("edge-in-{k}"))
                    .spawn(move || crate::transport::receiver(medium, link, tx, sh))
                    .map_err(spawn_err)?,
            );
        }
    }
    if let Some(saved) = opts.checkpoint.as_ref().and_then(|c| c.resume.as_ref()) {
        for e in ins.iter_mut().flatten() {
            match saved.edges.get(&e.edge) {
                Some(st) => e.restore(st),
                None => e.next = first,
            }
        }
    }
    let n_actors = graph.actors.len();
    let mut input_delays: Vec<Vec<(String, u64)>> = vec![vec![]; n_actors];
    // the producer (`ACTOR.PORT`) of each actor's `control` input, if fed
    let mut controlled_by: Vec<Option<String>> = vec![None; n_actors];
    for e in &graph.edges {
        input_delays[e.to].push((e.to_port.to_string(), e.delay_steps));
        if e.ty == crate::payload::PortType::Control {
            controlled_by[e.to] = Some(format!("{}.{}", graph.actors[e.from].name, e.from_port));
        }
    }
    let order = graph.order.clone();
    // how far ahead a pipelined actor may be handed its inputs (parallel
    // scheme only: the serial one steps every actor on one thread anyway)
    let pipelined: Vec<bool> = graph
        .actors
        .iter_mut()
        .map(|a| a.actor.pipelined().is_some())
        .collect();
    let lookahead: Vec<u64> = (0..n_actors)
        .map(|i| match scheme {
            Scheme::Parallel if pipelined[i] => graph.lookahead(i),
            _ => 0,
        })
        .collect();
    let done: Arc<Vec<AtomicU64>> =
        Arc::new((0..n_actors).map(|_| AtomicU64::new(first)).collect());
    let busy: Arc<Vec<AtomicU64>> = Arc::new((0..n_actors).map(|_| AtomicU64::new(0)).collect());
    let names: Vec<String> = graph.actors.iter().map(|a| a.name.clone()).collect();
    let files: Arc<Mutex<Vec<PathBuf>>> = Arc::new(Mutex::new(vec![]));
    let wrote: Arc<Vec<AtomicBool>> =
        Arc::new((0..n_actors).map(|_| AtomicBool::new(false)).collect());
    if !opts.hooks.is_empty() {
        let shape = crate::hook::RunShape {
            actors: graph
                .actors
                .iter()
                .map(|a| (a.name.clone(), a.kind.name))
                .collect(),
            local: local.clone(),
            steerable: graph.actors.iter().map(|a| a.actor.steerable()).collect(),
            unsteerable: graph.actors.iter().map(|a| a.actor.unsteerable()).collect(),
            dt_ms: dt,
            window_steps: n,
            total_steps: total,
            n_windows,
            first_window: first,
            busy_ns: busy.clone(),
            done: done.clone(),
        };
        for h in &opts.hooks.0 {
            h.attach(&shape);
        }
    }
    let env = Env {
        hooks: opts.hooks.clone(),
        shared: shared.clone(),
        done: done.clone(),
        busy: busy.clone(),
        files: files.clone(),
        wrote: wrote.clone(),
        n,
        total,
        dt,
        n_windows,
        first,
        ckpt: opts.checkpoint.clone(),
    };
    // resumed: the values each actor's parameters had been steered to
    let resumed = opts.checkpoint.as_ref().and_then(|c| c.resume.as_ref());
    let mut lanes: Vec<Option<Lane>> = graph
        .actors
        .into_iter()
        .zip(ins)
        .zip(outs)
        .enumerate()
        .map(|(i, ((built, ins), outs))| {
            if !local[i] {
                return None;
            }
            Some(Lane {
                steered: resumed
                    .and_then(|s| s.steered.get(&built.name).cloned())
                    .unwrap_or_default(),
                idx: i,
                ctx: RunContext {
                    name: built.name.clone(),
                    kind: built.kind.name.to_string(),
                    out_dir: opts.out_dir.clone(),
                    seed: derive_seed(seed, &built.name),
                    graph_seed: seed,
                    dt_ms: dt,
                    total_steps: total,
                    window_steps: n,
                    graph_text: provenance.clone(),
                    graph_path: graph_path.clone(),
                    input_delays: std::mem::take(&mut input_delays[i]),
                },
                name: built.name,
                kind: built.kind.name,
                lookahead: lookahead[i],
                controlled_by: controlled_by[i].take(),
                actor: built.actor,
                ins,
                outs,
            })
        })
        .collect();

    let (ended_tx, ended_rx) = crossbeam_channel::unbounded::<()>();
    let mut handles = vec![];
    match scheme {
        // every actor on its own thread, each as soon as its inputs allow
        Scheme::Parallel => {
            let gate = Arc::new(StartGate::new(lanes.iter().filter(|l| l.is_some()).count()));
            for lane in lanes.iter_mut() {
                let Some(mut l) = lane.take() else { continue };
                let (env, ended, g) = (env.clone(), ended_tx.clone(), gate.clone());
                let spawned = std::thread::Builder::new()
                    .name(format!("actor-{}", l.name))
                    .spawn(move || {
                        let span = debug_span!("actor", name = %l.name, kind = l.kind);
                        let _g = span.enter();
                        let mut complete = false;
                        let started = env.start(&mut l);
                        // no window before every actor of the partition has
                        // started: a start that fails stops the run before
                        // any other actor has done work, whatever the timing
                        g.arrive_and_wait();
                        if started {
                            complete = env.windows(&mut l);
                        }
                        env.finish(&mut l, complete);
                        debug!("actor done");
                        let _ = ended.send(());
                    });
                match spawned {
                    Ok(h) => handles.push(h),
                    Err(e) => {
                        // the threads already there must not wait for it
                        gate.open();
                        return Err(spawn_err(e));
                    }
                }
            }
        }
        // one thread steps the actors one after the other, in dependency
        // order: no thread hand-offs, every input already there
        Scheme::Serial => {
            let mut ordered: Vec<Lane> = order.iter().filter_map(|&i| lanes[i].take()).collect();
            let (env, ended) = (env.clone(), ended_tx.clone());
            let h = std::thread::Builder::new()
                .name("actors-serial".into())
                .spawn(move || {
                    let started = ordered.iter_mut().all(|l| env.start(l));
                    let mut complete = started;
                    if started {
                        'windows: for w in env.first..env.n_windows {
                            // every actor saves its state before any stops
                            let mut go = true;
                            for l in ordered.iter_mut() {
                                go &= env.boundary(l, w);
                            }
                            if !go {
                                complete = false;
                                break 'windows;
                            }
                            for l in ordered.iter_mut() {
                                if !env.window(l, w) {
                                    complete = false;
                                    break 'windows;
                                }
                            }
                        }
                    }
                    for l in ordered.iter_mut() {
                        env.finish(l, complete);
                    }
                    debug!("serial actors done");
                    let _ = ended.send(());
                })
                .map_err(spawn_err)?;
            handles.push(h);
        }
    }

    drop(ended_tx);
    // Wait for the actor threads, waking at once when one ends (or when all
    // are gone, even by an unexpected unwind), every 20 ms for a stop from
    // outside and every 100 ms for progress.
    let mut remaining = handles.len();
    // windows done by this process's actors: (slowest, furthest)
    let reached = || {
        let local_done = || {
            done.iter()
                .zip(&local)
                .filter(|(_, l)| **l)
                .map(|(d, _)| d.load(Ordering::SeqCst))
        };
        (
            local_done().min().unwrap_or(n_windows),
            local_done().max().unwrap_or(0),
        )
    };
    // a stop from outside: the furthest window reached then
    let mut stop_window: Option<u64> = None;
    let mut last_progress = Instant::now();
    while remaining > 0 {
        // Stopped from outside: every actor stops as after a failure (at its
        // next wait), finishes, and recorders keep every complete window. A
        // run whose every window is done goes on to its end.
        if stop_window.is_none() {
            if let Some(cause) = opts.cancel.as_ref().and_then(|c| c.taken()) {
                let (slowest, furthest) = reached();
                // a checkpointed run in one process: every actor goes on to
                // the next boundary none has begun, saves its state, stops
                let at = (opts.partition.is_none())
                    .then_some(opts.checkpoint.as_ref())
                    .flatten()
                    .and_then(|c| c.request_stop());
                if let Some(at) = at {
                    info!(%cause, window = at, "stopping at a checkpoint");
                    stop_window = Some(at);
                } else if slowest < n_windows {
                    info!(%cause, window = furthest, "stopping");
                    stop_window = Some(furthest.min(n_windows.saturating_sub(1)));
                    shared.abort.store(true, Ordering::SeqCst);
                }
            }
        }
        match ended_rx.recv_timeout(Duration::from_millis(20)) {
            Ok(()) => remaining -= 1,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if last_progress.elapsed() >= Duration::from_millis(100) {
            last_progress = Instant::now();
            let w = reached().0;
            progress(Progress {
                steps_done: (w * n).min(total),
                total_steps: total,
                dt_ms: dt,
            });
        }
    }
    for h in handles {
        let _ = h.join();
    }
    for h in &opts.hooks.0 {
        h.detach();
    }
    // the connectors end with their edges (or on abort, within a poll)
    for h in connectors {
        let _ = h.join();
    }
    let failures = std::mem::take(&mut *shared.failures.lock().unwrap_or_else(|e| e.into_inner()));
    // stopped at a checkpoint (Ctrl-C, --stop-at): where, and how to go on
    let mut stopped_at_ms = None;
    if let Some(c) = &opts.checkpoint {
        if let (Some(at), true) = (c.stop_window(), failures.is_empty()) {
            let time_ms = (at * n).min(total) as f64 * dt;
            let folder = c.written().into_iter().find(|(w, _)| *w == at);
            match (opts.cancel.as_ref().and_then(|k| k.taken()), folder) {
                (_, None) => {
                    return Err(RuntimeError::ActorFailed {
                        actor: "runtime".into(),
                        window: at,
                        time_ms,
                        message: c
                            .error()
                            .unwrap_or_else(|| "the checkpoint was not written".into()),
                    })
                }
                (Some(cause), Some((_, path))) => {
                    return Err(RuntimeError::Checkpointed {
                        cause,
                        time_ms,
                        path,
                        out: opts.out_dir.clone(),
                    })
                }
                (None, Some(_)) => stopped_at_ms = Some(time_ms),
            }
        }
    }
    // Stopped from outside, unless the run had failed before: what failed
    // after the stop may be its echo (a partition stopped by the same
    // signal, a child process killed by it)
    let stopped = opts.cancel.as_ref().and_then(|c| {
        c.attach(None);
        let cause = c.taken()?;
        let before = c.failures_before.load(Ordering::SeqCst).min(failures.len());
        let failed_first = failures[..before].iter().any(|f| !f.secondary);
        (!failed_first && (stop_window.is_some() || !failures.is_empty())).then(|| {
            let w = stop_window.unwrap_or_else(|| reached().1);
            (cause, w.min(n_windows.saturating_sub(1)))
        })
    });
    if let Some((cause, window)) = stopped {
        // what every recording holds: the windows its actor completed
        let complete = done
            .iter()
            .zip(wrote.iter())
            .zip(&local)
            .filter(|((_, w), l)| **l && w.load(Ordering::SeqCst))
            .map(|((d, _), _)| d.load(Ordering::SeqCst))
            .min();
        for f in &failures {
            debug!(actor = %f.actor, window = f.window, "after the stop: {}", f.message);
        }
        return Err(RuntimeError::Stopped {
            cause,
            window,
            time_ms: (window * n).min(total) as f64 * dt,
            out: opts.out_dir.clone(),
            complete_ms: complete.map(|w| (w * n).min(total) as f64 * dt),
        });
    }
    if let Some(f) = failures.iter().find(|f| !f.secondary).or(failures.first()) {
        return Err(RuntimeError::ActorFailed {
            actor: f.actor.clone(),
            window: f.window,
            time_ms: f.time_ms,
            message: f.message.clone(),
        });
    }
    progress(Progress {
        steps_done: total,
        total_steps: total,
        dt_ms: dt,
    });
    let mut files = std::mem::take(&mut *files.lock().unwrap_or_else(|e| e.into_inner()));
    files.sort();
    Ok(RunSummary {
        simulated_ms: stopped_at_ms.unwrap_or(total as f64 * dt),
        wall: t0.elapsed(),
        windows: n_windows,
        window_steps: n,
        files,
        busy: names
            .into_iter()
            .zip(busy.iter())
            .map(|(n, b)| (n, Duration::from_nanos(b.load(Ordering::Relaxed))))
            .collect(),
        checkpoints: opts.checkpoint.as_ref().map_or(vec![], |c| {
            c.written()
                .into_iter()
                .map(|(w, f)| ((w * n).min(total) as f64 * dt, f))
                .collect()
        }),
        stopped_at_ms,
    })
}

/// The pipelined side of an actor the lane was set up to pipeline.
fn as_pipelined(
    a: &mut dyn crate::actor::Actor,
) -> Result<&mut dyn crate::actor::Pipelined, ActorError> {
    a.pipelined()
        .ok_or_else(|| ActorError::new("internal error: actor stopped being pipelined"))
}

/// One actor with its edges and context, as the scheduler drives it.
struct Lane {
    idx: usize,
    name: String,
    kind: &'static str,
    actor: Box<dyn crate::actor::Actor>,
    ins: Vec<InEdge>,
    outs: Vec<OutEdge>,
    ctx: RunContext,
    /// Windows of inputs a pipelined actor may be ahead of its outputs (0:
    /// not pipelined, or not in the parallel scheme).
    lookahead: u64,
    /// The producer (`ACTOR.PORT`) of its `control` input, if an edge feeds it.
    controlled_by: Option<String>,
    /// The values its parameters were steered to so far (a resumed run:
    /// from its checkpoint on), which a checkpoint carries.
    steered: crate::hook::Steered,
}

/// What every lane's driver shares.
#[derive(Clone)]
struct Env {
    hooks: crate::Hooks,
    shared: Arc<Shared>,
    done: Arc<Vec<AtomicU64>>,
    busy: Arc<Vec<AtomicU64>>,
    files: Arc<Mutex<Vec<PathBuf>>>,
    /// which actors' `finish` returned files (recorders, plots)
    wrote: Arc<Vec<AtomicBool>>,
    n: u64,
    total: u64,
    dt: f64,
    n_windows: u64,
    /// the first window (a resumed run's checkpoint)
    first: u64,
    ckpt: Option<Arc<crate::checkpoint::Checkpointing>>,
}

/// Where the actors of a parallel partition wait for each other between
/// their `start` and their first window (a `Barrier` that can be opened
/// when a thread could not be spawned).
struct StartGate {
    /// actors arrived, and whether the gate was opened for good
    state: Mutex<(usize, bool)>,
    cv: Condvar,
    n: usize,
}

impl StartGate {
    fn new(n: usize) -> Self {
        Self {
            state: Mutex::new((0, false)),
            cv: Condvar::new(),
            n,
        }
    }

    /// Counts this actor in and waits for the others (or the gate opened).
    fn arrive_and_wait(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 += 1;
        self.cv.notify_all();
        while s.0 < self.n && !s.1 {
            s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Lets everyone through.
    fn open(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.1 = true;
        self.cv.notify_all();
    }
}

impl Env {
    fn fail(&self, actor: &str, window: u64, message: String, secondary: bool) {
        self.shared.fail(Failure {
            actor: actor.to_string(),
            window,
            time_ms: (window * self.n).min(self.total) as f64 * self.dt,
            message,
            secondary,
        })
    }

    fn start(&self, l: &mut Lane) -> bool {
        match std::panic::catch_unwind(AssertUnwindSafe(|| l.actor.start(&l.ctx))) {
            Ok(Ok(())) => self.steer_again(l),
            Ok(Err(e)) => {
                self.fail(&l.name, 0, format!("could not start: {e}"), false);
                false
            }
            Err(p) => {
                self.fail(
                    &l.name,
                    0,
                    format!("panicked while starting: {}", panic_msg(p)),
                    false,
                );
                false
            }
        }
    }

    /// A resumed run: sets the parameters steered before the checkpoint to
    /// the values they had there (after `start`, before the first window;
    /// not new changes, so not told to the hooks). False: stop.
    fn steer_again(&self, l: &mut Lane) -> bool {
        for (key, value) in &l.steered.0 {
            let res = std::panic::catch_unwind(AssertUnwindSafe(|| l.actor.steer(key, *value)));
            let why = match res {
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => e.to_string(),
                Err(p) => format!("panicked: {}", panic_msg(p)),
            };
            self.fail(
                &l.name,
                self.first,
                format!(
                    "could not set `{key}` = {value} again, the value it was steered to before the checkpoint: {why}"
                ),
                false,
            );
            return false;
        }
        if !l.steered.0.is_empty() {
            debug!(steered = ?l.steered.0, "steered values of the checkpoint set again");
        }
        true
    }

    fn finish(&self, l: &mut Lane, complete: bool) {
        l.outs.clear(); // lets consumers see the end of the stream
        let complete = complete && !self.shared.abort.load(Ordering::SeqCst);
        match std::panic::catch_unwind(AssertUnwindSafe(|| l.actor.finish(complete))) {
            Ok(Ok(f)) => {
                if !f.is_empty() {
                    self.wrote[l.idx].store(true, Ordering::SeqCst);
                }
                if let Ok(mut v) = self.files.lock() {
                    v.extend(f);
                }
            }
            Ok(Err(e)) => self.fail(
                &l.name,
                e.1.unwrap_or(self.n_windows),
                format!("could not finish: {e}"),
                false,
            ),
            Err(p) => self.fail(
                &l.name,
                self.n_windows,
                format!("panicked while finishing: {}", panic_msg(p)),
                false,
            ),
        }
    }

    /// Every window of one parallel lane: a pipelined actor is handed the
    /// inputs of up to `lookahead` windows before it gives back the
    /// outputs of the first of them; any other is stepped window by window.
    /// False: stop.
    fn windows(&self, l: &mut Lane) -> bool {
        let ahead = l.lookahead;
        if ahead == 0 {
            return (self.first..self.n_windows).all(|w| self.boundary(l, w) && self.window(l, w));
        }
        debug!(lookahead = ahead, "pipelined: inputs ahead of outputs");
        let mut submitted = 0;
        for w in 0..self.n_windows {
            while submitted < self.n_windows && submitted <= w + ahead {
                if !self.before(l, submitted) {
                    return false;
                }
                let win = self.info(submitted);
                let Some(mut inputs) = self.inputs(l, &win) else {
                    return false;
                };
                if !self.control(l, submitted, &mut inputs) {
                    return false;
                }
                let sent = self.call(l, submitted, |a| as_pipelined(a)?.submit(&win, &inputs));
                if !sent {
                    return false;
                }
                submitted += 1;
            }
            let win = self.info(w);
            let mut outputs = Outputs::default();
            let got = self.call(l, w, |a| as_pipelined(a)?.collect(&win, &mut outputs));
            if got {
                self.hooks.after(l.idx, w, &outputs);
            }
            if !got || !self.emit(l, w, outputs) {
                return false;
            }
        }
        true
    }

    /// Boundary `w` (before window `w`) of a checkpointed run: the lane
    /// saves its state there when a checkpoint is due. False: the run stops
    /// here (Ctrl-C, `--stop-at`), or the checkpoint failed.
    fn boundary(&self, l: &mut Lane, w: u64) -> bool {
        let Some(c) = &self.ckpt else {
            return true;
        };
        let at = c.boundary(w);
        if at.save {
            let mut edges = vec![];
            for e in l.ins.iter_mut() {
                match e.save_at(w, &self.shared) {
                    Ok(st) => edges.push((e.edge, st)),
                    Err(RecvFail::Aborted) => return false,
                    Err(RecvFail::Lost(m)) => {
                        self.fail(&l.name, w, m, true);
                        return false;
                    }
                }
            }
            let state = std::panic::catch_unwind(AssertUnwindSafe(|| match l.actor.stateful() {
                Some(s) => s.save_state(),
                None => Err(ActorError::new("cannot save its state")),
            }));
            let saved = match state {
                Ok(Ok(b)) => c.deposit(w, &l.name, l.kind, b, l.steered.clone(), edges),
                Ok(Err(e)) => Err(format!("could not save its state: {e}")),
                Err(p) => Err(format!("panicked saving its state: {}", panic_msg(p))),
            };
            if let Err(m) = saved {
                self.fail(&l.name, w, m, false);
                return false;
            }
        }
        !at.stop
    }

    /// Window `w`'s extent.
    fn info(&self, w: u64) -> WindowInfo {
        WindowInfo {
            index: w,
            start_step: w * self.n,
            n_steps: self.n.min(self.total - w * self.n),
            dt_ms: self.dt,
        }
    }

    /// Window `w` of one lane: inputs, step, outputs. False: stop.
    fn window(&self, l: &mut Lane, w: u64) -> bool {
        let win = self.info(w);
        let _span = trace_span!("window", actor = %l.name, index = w).entered();
        if !self.before(l, w) {
            return false;
        }
        let Some(mut inputs) = self.inputs(l, &win) else {
            return false;
        };
        if !self.control(l, w, &mut inputs) {
            return false;
        }
        let mut outputs = Outputs::default();
        if !self.call(l, w, |a| a.step(&win, &inputs, &mut outputs)) {
            return false;
        }
        self.hooks.after(l.idx, w, &outputs);
        self.emit(l, w, outputs)
    }

    /// The hooks' `before` for window `w` of one lane (not timed as busy).
    /// False: stop.
    fn before(&self, l: &mut Lane, w: u64) -> bool {
        if self.hooks.is_empty() {
            return true;
        }
        let mut steering = crate::hook::Steering::new(&mut *l.actor, &mut l.steered);
        let hooks = &self.hooks;
        let idx = l.idx;
        match std::panic::catch_unwind(AssertUnwindSafe(|| hooks.before(idx, w, &mut steering))) {
            Ok(Ok(())) => true,
            Ok(Err(ActorError(m, at))) => {
                self.fail(&l.name, at.unwrap_or(w), m, false);
                false
            }
            Err(p) => {
                self.fail(
                    &l.name,
                    w,
                    format!("panicked between windows: {}", panic_msg(p)),
                    false,
                );
                false
            }
        }
    }

    /// Applies the parameter changes the lane's `control` input delivers for
    /// window `w` (taken out of `inputs`: the actor's `step` never sees
    /// them), before the window, and tells the hooks. False: stop.
    fn control(&self, l: &mut Lane, w: u64, inputs: &mut Inputs) -> bool {
        let Some(source) = &l.controlled_by else {
            return true;
        };
        let Some(p) = inputs.map.remove(crate::control::PORT) else {
            return true;
        };
        let actor = &mut *l.actor;
        let (name, kind) = (l.name.as_str(), l.kind);
        let steered = &mut l.steered;
        let res = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let applied = crate::control::apply(actor, name, kind, &p, source, w)?;
            for c in &applied {
                steered.set(&c.key, c.new);
                debug!(window = w, key = %c.key, old = c.old, new = c.new, source = %c.source, "steered by a control input");
                self.hooks.steered(l.idx, w, c)?;
            }
            Ok::<(), ActorError>(())
        }));
        match res {
            Ok(Ok(())) => true,
            Ok(Err(ActorError(m, at))) => {
                self.fail(&l.name, at.unwrap_or(w), m, false);
                false
            }
            Err(p) => {
                self.fail(
                    &l.name,
                    w,
                    format!("panicked applying its control input: {}", panic_msg(p)),
                    false,
                );
                false
            }
        }
    }

    /// What every input edge delivers in window `win`. None: stop.
    fn inputs(&self, l: &mut Lane, win: &WindowInfo) -> Option<Inputs> {
        let mut inputs = Inputs::default();
        for e in l.ins.iter_mut() {
            match e.collect(win, &self.shared) {
                Ok(Some(p)) => {
                    inputs.map.insert(e.port, p);
                }
                Ok(None) => {}
                Err(RecvFail::Aborted) => return None,
                Err(RecvFail::Lost(m)) => {
                    self.fail(&l.name, win.index, m, true);
                    return None;
                }
            }
        }
        Some(inputs)
    }

    /// Calls the actor for window `w`, timing it as busy; an error or a
    /// panic fails the run. False: stop.
    fn call(
        &self,
        l: &mut Lane,
        w: u64,
        f: impl FnOnce(&mut dyn crate::actor::Actor) -> Result<(), ActorError>,
    ) -> bool {
        let t_step = Instant::now();
        let actor = &mut *l.actor;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(actor)));
        self.busy[l.idx].fetch_add(t_step.elapsed().as_nanos() as u64, Ordering::Relaxed);
        match result {
            Ok(Ok(())) => true,
            // an error found in an earlier window names that one
            Ok(Err(ActorError(m, at))) => {
                self.fail(&l.name, at.unwrap_or(w), m, false);
                false
            }
            Err(p) => {
                self.fail(&l.name, w, format!("panicked: {}", panic_msg(p)), false);
                false
            }
        }
    }

    /// Sends window `w`'s outputs down every outgoing edge. False: stop.
    fn emit(&self, l: &mut Lane, w: u64, outputs: Outputs) -> bool {
        for e in &l.outs {
            let m = Msg {
                window: w,
                payload: outputs.map.get(e.port).cloned(),
            };
            match send(e, m, &self.shared) {
                Ok(()) => {}
                Err(RecvFail::Aborted) => return false,
                Err(RecvFail::Lost(m)) => {
                    self.fail(&l.name, w, m, true);
                    return false;
                }
            }
        }
        self.done[l.idx].store(w + 1, Ordering::Relaxed);
        true
    }
}
