//! Validation: from a descriptor to a runnable graph, or to the list of every
//! problem found, each located in the file.

use std::collections::BTreeMap;
use std::path::Path;

use crate::actor::{Actor, BuildCtx, KindSpec, Registry};
use crate::error::{GraphIssue, RuntimeError};
use crate::graph::descriptor::{GraphDesc, Scheme, Transport};
use crate::graph::footprint::{self, GraphFootprint};
use crate::graph::load::GraphSource;
use crate::limits::{self, short, StepsError, MAX_DT_MS, MIN_DT_MS};
use crate::params::{closest, BuildError, Params};
use crate::payload::PortType;

/// An edge between two built actors.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEdge {
    /// Index into [`ValidGraph::actors`].
    pub from: usize,
    pub from_port: &'static str,
    pub to: usize,
    pub to_port: &'static str,
    pub ty: PortType,
    /// Delay in steps (0: same window).
    pub delay_steps: u64,
    pub transport: Transport,
    /// ZeroMQ endpoint, when given.
    pub endpoint: Option<String>,
}

/// A built actor.
pub struct BuiltActor {
    pub name: String,
    /// Its partition (`process`, default `main`).
    pub process: String,
    pub kind: KindSpec,
    pub actor: Box<dyn Actor>,
}

impl std::fmt::Debug for BuiltActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BuiltActor({}: {})", self.name, self.kind.name)
    }
}

/// A graph that passed validation, with every actor built.
#[derive(Debug)]
pub struct ValidGraph {
    pub desc: GraphDesc,
    pub source: GraphSource,
    /// Actors in name order.
    pub actors: Vec<BuiltActor>,
    pub edges: Vec<ResolvedEdge>,
    pub dt_ms: f64,
    pub total_steps: u64,
    pub window_steps: u64,
    /// Dependency order over zero-delay edges (the serial scheme's order).
    pub order: Vec<usize>,
    /// What the run is estimated to hold in memory and write.
    pub footprint: GraphFootprint,
}

fn valid_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// One resolved end of an edge: actor index, port name, port type.
type End = (usize, &'static str, PortType);

/// A problem found while checking one end of an edge (key path, message,
/// hint; an empty message: already reported at the actor).
type EndError = (String, String, Option<String>);

/// The checks of [`ValidGraph::from_desc`], one method each, collecting
/// every problem found (located in the file) instead of stopping at the
/// first.
struct Checker<'a> {
    desc: &'a GraphDesc,
    source: &'a GraphSource,
    issues: Vec<GraphIssue>,
    /// the kinds that take a `control` input (named when an edge goes to
    /// the `control` of another)
    controllable: Vec<&'static str>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, path: String, message: String, hint: Option<String>) {
        self.issues.push(GraphIssue {
            file: self.source.file(),
            line_col: self.source.locate(&path),
            path,
            message,
            hint,
        });
    }

    /// `[simulation]`: the step and the number of steps (0 when invalid:
    /// the checks that need them are then skipped).
    fn simulation(&mut self) -> u64 {
        let sim = &self.desc.simulation;
        let dt = sim.dt_ms;
        if !(dt.is_finite() && dt > 0.0) {
            self.push(
                "simulation.dt_ms".into(),
                format!("{} must be a finite time > 0 ms", short(dt)),
                None,
            );
            return 0;
        }
        if !(MIN_DT_MS..=MAX_DT_MS).contains(&dt) {
            self.push(
                "simulation.dt_ms".into(),
                format!(
                    "{} ms is outside [{}, {}] ms",
                    short(dt),
                    short(MIN_DT_MS),
                    short(MAX_DT_MS)
                ),
                Some("dt_ms is the integration step, typically 0.01 to 1 ms".into()),
            );
            return 0;
        }
        if !(sim.duration_ms.is_finite() && sim.duration_ms > 0.0) {
            self.push(
                "simulation.duration_ms".into(),
                format!("{} must be a finite time > 0 ms", short(sim.duration_ms)),
                None,
            );
            return 0;
        }
        match limits::steps(sim.duration_ms, dt) {
            Ok(s) if s >= 1 => s,
            Ok(_) | Err(StepsError::NotMultiple) => {
                self.push(
                    "simulation.duration_ms".into(),
                    StepsError::NotMultiple.describe(sim.duration_ms, dt),
                    Some("make duration_ms a multiple of dt_ms".into()),
                );
                0
            }
            Err(e) => {
                self.push(
                    "simulation.duration_ms".into(),
                    e.describe(sim.duration_ms, dt),
                    Some("shorten the run, or split it into several runs".into()),
                );
                0
            }
        }
    }

    /// Builds every actor (in name order); fills `index` (name → position).
    fn actors(
        &mut self,
        registry: &Registry,
        total_steps: u64,
        index: &mut BTreeMap<&'a str, usize>,
    ) -> Vec<BuiltActor> {
        let desc = self.desc;
        let sim = &desc.simulation;
        let base = self.source.base_dir();
        let mut actors: Vec<BuiltActor> = vec![];
        for (name, a) in &desc.actors {
            let at = format!("actors.{name}");
            if !valid_name(name) {
                self.push(
                    at.clone(),
                    format!("`{name}` is not a valid actor name"),
                    Some("use letters, digits, `_` and `-`, starting with a letter".into()),
                );
                continue;
            }
            if let Some(p) = &a.process {
                if !valid_name(p) {
                    self.push(
                        format!("{at}.process"),
                        format!("`{p}` is not a valid partition name"),
                        Some("use letters, digits, `_` and `-`, starting with a letter".into()),
                    );
                    continue;
                }
            }
            let Some(kind) = registry.get(&a.kind) else {
                let names = registry.names();
                let hint = match closest(&a.kind, &names) {
                    Some(c) => format!("did you mean `{c}`? `brainstream list` shows every kind"),
                    None => format!("known kinds: {}", names.join(", ")),
                };
                self.push(
                    format!("{at}.kind"),
                    format!("unknown actor kind `{}`", a.kind),
                    Some(hint),
                );
                continue;
            };
            let params =
                Params::new(&a.params, kind.params, &base).with_strict_ranges(sim.strict_ranges);
            let errs = params.check();
            if !errs.is_empty() {
                for e in errs {
                    self.push_build(&at, e);
                }
                continue;
            }
            if total_steps == 0 {
                continue;
            }
            let ctx = BuildCtx {
                name,
                params,
                dt_ms: sim.dt_ms,
                duration_ms: sim.duration_ms,
            };
            match (kind.build)(&ctx) {
                Ok(actor) => {
                    index.insert(name.as_str(), actors.len());
                    actors.push(BuiltActor {
                        name: name.clone(),
                        process: a.process.clone().unwrap_or_else(|| "main".into()),
                        kind: *kind,
                        actor,
                    });
                }
                Err(e) => self.push_build(&at, e),
            }
        }
        if desc.actors.is_empty() {
            self.push(
                "actors".into(),
                "the graph has no actors".into(),
                Some("add an [actors.NAME] table with a `kind`".into()),
            );
        }
        actors
    }

    /// A build or plan error of the actor at `at`.
    fn push_build(&mut self, at: &str, e: BuildError) {
        let p = if e.key.is_empty() {
            at.to_string()
        } else {
            format!("{at}.{}", e.key)
        };
        self.push(p, e.message, e.hint);
    }

    /// One end (`from` or `to`) of edge `at`.
    fn end(
        &self,
        at: &str,
        field: &str,
        s: &str,
        actors: &[BuiltActor],
        index: &BTreeMap<&str, usize>,
    ) -> Result<End, EndError> {
        let p = format!("{at}.{field}");
        let Some((actor, port)) = s.split_once('.') else {
            return Err((p, format!("`{s}` is not of the form actor.port"), None));
        };
        let Some(&ai) = index.get(actor) else {
            if self.desc.actors.contains_key(actor) {
                return Err((p, String::new(), None)); // actor already reported
            }
            let names: Vec<&str> = self.desc.actors.keys().map(|s| s.as_str()).collect();
            let hint = closest(actor, &names)
                .map(|c| format!("did you mean `{c}`?"))
                .or_else(|| Some(format!("actors: {}", names.join(", "))));
            return Err((p, format!("no actor named `{actor}`"), hint));
        };
        let kind = &actors[ai].kind;
        let from = field == "from";
        let decl = if from {
            kind.output(port)
        } else {
            kind.input(port)
        };
        let Some(decl) = decl else {
            let (what, list) = if from {
                ("output", kind.outputs)
            } else {
                ("input", kind.inputs)
            };
            let other = if from {
                kind.input(port).is_some()
            } else {
                kind.output(port).is_some()
            };
            let names: Vec<String> = list
                .iter()
                .map(|p| format!("{} ({})", p.name, p.ty))
                .collect();
            if !from && port == crate::control::PORT && !other {
                let hint = if self.controllable.is_empty() {
                    "no kind of this registry takes a `control` input".to_string()
                } else {
                    format!(
                        "kinds with a `control` input: {}",
                        self.controllable.join(", ")
                    )
                };
                return Err((
                    p,
                    format!(
                        "`{actor}` ({}) cannot be steered: its kind has no `control` input",
                        kind.name
                    ),
                    Some(hint),
                ));
            }
            let msg = if other {
                format!(
                    "`{port}` of `{actor}` ({}) is an {}, not an {what}",
                    kind.name,
                    if from { "input" } else { "output" }
                )
            } else {
                format!("`{actor}` ({}) has no {what} port `{port}`", kind.name)
            };
            let hint = if names.is_empty() {
                format!("`{}` has no {what} ports", kind.name)
            } else {
                format!("{what} ports of `{}`: {}", kind.name, names.join(", "))
            };
            return Err((p, msg, Some(hint)));
        };
        Ok((ai, decl.name, decl.ty))
    }

    /// An edge's endpoint, if it has one: only for ZeroMQ, and well formed.
    fn endpoint_ok(&mut self, at: &str, transport: Transport, ep: &str) -> bool {
        if transport != Transport::Zmq {
            self.push(
                format!("{at}.endpoint"),
                "an endpoint needs transport = \"zmq\" (shared-memory files are named by the run)"
                    .into(),
                None,
            );
            return false;
        }
        let ok = ep.strip_prefix("tcp://").is_some_and(|r| {
            r.rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
        }) || ep.strip_prefix("ipc://").is_some_and(|r| !r.is_empty());
        if !ok {
            self.push(
                format!("{at}.endpoint"),
                format!("`{ep}` is not a ZeroMQ endpoint"),
                Some("tcp://HOST:PORT or ipc:///PATH".into()),
            );
            return false;
        }
        // a run binds only where nothing is, or over a stale socket of ours
        let problem = ep
            .strip_prefix("ipc://")
            .and_then(|p| crate::transport::ipc::static_problem(std::path::Path::new(p)));
        if let Some(why) = problem {
            self.push(
                format!("{at}.endpoint"),
                why,
                Some("name a path where nothing is yet, e.g. ipc:///tmp/NAME.sock".into()),
            );
            return false;
        }
        true
    }

    /// An edge's delay in steps: finite, whole, at most the run.
    fn delay(&mut self, at: &str, delay_ms: f64, total_steps: u64) -> Option<u64> {
        let key = format!("{at}.delay_ms");
        if !(delay_ms.is_finite() && delay_ms >= 0.0) {
            self.push(
                key,
                format!("{} must be a finite time ≥ 0 ms", short(delay_ms)),
                None,
            );
            return None;
        }
        if total_steps == 0 {
            return None;
        }
        let sim = &self.desc.simulation;
        match limits::steps(delay_ms, sim.dt_ms) {
            Ok(d) if d > total_steps => {
                self.push(
                    key,
                    format!(
                        "{} ms is longer than the run ({} ms): nothing sent on this edge would arrive",
                        short(delay_ms),
                        short(sim.duration_ms)
                    ),
                    Some("shorten the delay, or lengthen simulation.duration_ms".into()),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.push(key, e.describe(delay_ms, sim.dt_ms), None);
                None
            }
        }
    }

    /// Resolves and type-checks every edge.
    fn edges(
        &mut self,
        actors: &[BuiltActor],
        index: &BTreeMap<&str, usize>,
        total_steps: u64,
    ) -> Vec<ResolvedEdge> {
        let mut edges = vec![];
        let mut fed: BTreeMap<(usize, &str), usize> = BTreeMap::new();
        for (k, e) in self.desc.edges.iter().enumerate() {
            let at = format!("edges[{k}]");
            let from = self.end(&at, "from", &e.from, actors, index);
            let to = self.end(&at, "to", &e.to, actors, index);
            let (from, to) = match (from, to) {
                (Ok(f), Ok(t)) => (f, t),
                (f, t) => {
                    for r in [f.err(), t.err()].into_iter().flatten() {
                        if !r.1.is_empty() {
                            self.push(r.0, r.1, r.2);
                        }
                    }
                    continue;
                }
            };
            if from.2 != to.2 {
                let hint = if to.2 == PortType::Control {
                    "a `control` input takes parameter changes (port type control) from a controller such as `proportional_control` (docs/live.md)"
                } else if from.2 == PortType::Control {
                    "parameter changes (port type control) go to an actor's `control` input (docs/live.md)"
                } else {
                    "insert a transformer actor between them (`brainstream list` shows them)"
                };
                self.push(
                    at.clone(),
                    format!(
                        "type mismatch: `{}` sends {} but `{}` takes {}",
                        e.from, from.2, e.to, to.2
                    ),
                    Some(hint.into()),
                );
                continue;
            }
            if let Some(ep) = &e.endpoint {
                if !self.endpoint_ok(&at, e.transport, ep) {
                    continue;
                }
            }
            // MPI carries windows between ranks, and a rank runs one partition
            let (pf, pt) = (&actors[from.0].process, &actors[to.0].process);
            if e.transport == Transport::Mpi && pf == pt {
                self.push(
                    format!("{at}.transport"),
                    format!(
                        "transport = \"mpi\" carries an edge between partitions run as MPI \
                         ranks, and `{}` and `{}` are both in partition `{pf}`",
                        e.from, e.to
                    ),
                    Some(
                        "give the two actors different `process` names, or use \"channel\"".into(),
                    ),
                );
                continue;
            }
            let Some(delay_steps) = self.delay(&at, e.delay_ms, total_steps) else {
                continue;
            };
            if let Some(prev) = fed.insert((to.0, to.1), k) {
                self.push(
                    format!("{at}.to"),
                    format!("input `{}` is already fed by edges[{prev}]", e.to),
                    Some("an input port takes one edge; merge streams with an actor".into()),
                );
                continue;
            }
            edges.push(ResolvedEdge {
                from: from.0,
                from_port: from.1,
                to: to.0,
                to_port: to.1,
                ty: from.2,
                delay_steps,
                transport: e.transport,
                endpoint: e.endpoint.clone(),
            });
        }
        edges
    }

    /// The synchronisation window in steps: `sync_ms`, or the smallest edge
    /// delay, or 10 ms (at most the run).
    fn window(&mut self, edges: &[ResolvedEdge], total_steps: u64) -> u64 {
        let sim = &self.desc.simulation;
        let dt = sim.dt_ms;
        let min_delay = edges
            .iter()
            .filter(|e| e.delay_steps > 0)
            .map(|e| e.delay_steps)
            .min();
        let Some(s) = sim.sync_ms else {
            return match min_delay {
                Some(md) => md,
                None => limits::steps(10.0, dt)
                    .unwrap_or(1)
                    .clamp(1, total_steps.max(1)),
            };
        };
        if !(s.is_finite() && s > 0.0) {
            self.push(
                "simulation.sync_ms".into(),
                format!("{} must be a finite time > 0 ms", short(s)),
                None,
            );
            return 0;
        }
        match limits::steps(s, dt) {
            Ok(w) if w >= 1 => {
                if let Some(md) = min_delay {
                    if w > md {
                        self.push(
                            "simulation.sync_ms".into(),
                            format!(
                                "a window of {} ms is longer than the smallest edge delay ({} ms): an actor would need data from its future",
                                short(s),
                                short(md as f64 * dt)
                            ),
                            Some("make sync_ms at most the smallest delay_ms, or leave it out for that default".into()),
                        );
                    }
                }
                w
            }
            Err(e @ StepsError::TooMany(_)) => {
                self.push("simulation.sync_ms".into(), e.describe(s, dt), None);
                0
            }
            _ => {
                self.push(
                    "simulation.sync_ms".into(),
                    format!(
                        "{} ms is not a whole number (≥ 1) of steps of {} ms",
                        short(s),
                        short(dt)
                    ),
                    None,
                );
                0
            }
        }
    }

    /// Dependency order over zero-delay edges; a cycle without delay is an
    /// error.
    fn order(&mut self, actors: &[BuiltActor], edges: &[ResolvedEdge]) -> Vec<usize> {
        let n = actors.len();
        let mut indeg = vec![0usize; n];
        let mut adj = vec![vec![]; n];
        for e in edges.iter().filter(|e| e.delay_steps == 0) {
            adj[e.from].push(e.to);
            indeg[e.to] += 1;
        }
        let mut order = vec![];
        let mut ready: std::collections::BTreeSet<usize> =
            (0..n).filter(|&i| indeg[i] == 0).collect();
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &j in &adj[i] {
                indeg[j] -= 1;
                if indeg[j] == 0 {
                    ready.insert(j);
                }
            }
        }
        if order.len() < n {
            let cyc: Vec<&str> = (0..n)
                .filter(|&i| indeg[i] > 0)
                .map(|i| actors[i].name.as_str())
                .collect();
            self.push(
                "edges".into(),
                format!("cycle without delay between actors {}", cyc.join(", ")),
                Some("give one edge of the cycle a delay_ms of at least one window".into()),
            );
        }
        order
    }

    /// Every actor's [`Actor::plan`](crate::Actor::plan), producers first,
    /// and the run's estimated memory and output.
    fn footprint(
        &mut self,
        actors: &[BuiltActor],
        edges: &[ResolvedEdge],
        order: &[usize],
        total_steps: u64,
        window_steps: u64,
    ) -> GraphFootprint {
        let (fp, errors, shapes) = footprint::estimate(
            actors,
            edges,
            order,
            self.desc.simulation.dt_ms,
            total_steps,
            window_steps,
        );
        for (i, e) in errors {
            self.push_build(&format!("actors.{}", actors[i].name), e);
        }
        for (k, message, hint) in crate::control::check_edges(actors, edges, &shapes) {
            self.push(format!("edges[{k}]"), message, hint);
        }
        fp
    }
}

impl ValidGraph {
    /// Parses, validates and builds `source` with the kinds of `registry`.
    pub fn load(source: GraphSource, registry: &Registry) -> Result<Self, RuntimeError> {
        let desc = source.parse()?;
        Self::from_desc(desc, source, registry)
    }

    /// Validates and builds an already parsed descriptor: the simulation's
    /// times, every actor, every edge, the window, the order, and what the
    /// run will hold and write; every problem found is reported.
    pub fn from_desc(
        desc: GraphDesc,
        source: GraphSource,
        registry: &Registry,
    ) -> Result<Self, RuntimeError> {
        let mut c = Checker {
            desc: &desc,
            source: &source,
            issues: vec![],
            controllable: registry
                .kinds()
                .filter(|k| k.inputs.iter().any(|p| p.ty == PortType::Control))
                .map(|k| k.name)
                .collect(),
        };
        let total_steps = c.simulation();
        let mut index = BTreeMap::new();
        let actors = c.actors(registry, total_steps, &mut index);
        let edges = c.edges(&actors, &index, total_steps);
        let window_steps = if total_steps > 0 {
            c.window(&edges, total_steps)
        } else {
            0
        };
        let order = c.order(&actors, &edges);
        let footprint = if c.issues.is_empty() {
            c.footprint(&actors, &edges, &order, total_steps, window_steps)
        } else {
            GraphFootprint::default()
        };
        if !c.issues.is_empty() {
            return Err(RuntimeError::Invalid(c.issues));
        }
        let dt_ms = desc.simulation.dt_ms;
        Ok(Self {
            desc,
            source,
            actors,
            edges,
            dt_ms,
            total_steps,
            window_steps,
            order,
            footprint,
        })
    }

    /// The partitions (processes), sorted.
    pub fn partitions(&self) -> Vec<String> {
        let mut p: Vec<String> = self.actors.iter().map(|a| a.process.clone()).collect();
        p.sort();
        p.dedup();
        p
    }

    /// A hash of the validated graph (hex), equal in every partition that
    /// read the same file with the same overrides: the handshake compares it.
    pub fn hash(&self) -> String {
        let text = toml::to_string(&self.desc).unwrap_or_default();
        let h = crate::seed::fnv1a(text.as_bytes(), crate::seed::FNV_OFFSET);
        format!("{h:016x}")
    }

    /// Number of windows.
    pub fn n_windows(&self) -> u64 {
        self.total_steps.div_ceil(self.window_steps)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.desc.simulation.scheme
    }

    /// Folder relative paths resolve against.
    pub fn base_dir(&self) -> std::path::PathBuf {
        self.source.base_dir()
    }
}

/// Shortcut: validate a graph file.
pub fn validate_file(
    path: &Path,
    overrides: Vec<String>,
    registry: &Registry,
) -> Result<ValidGraph, RuntimeError> {
    ValidGraph::load(
        GraphSource::from_file(path)?.with_overrides(overrides),
        registry,
    )
}
