//! Validation: from a descriptor to a runnable graph, or to the list of every
//! problem found, each located in the file.

use std::collections::BTreeMap;
use std::path::Path;

use crate::actor::{Actor, BuildCtx, KindSpec, Registry};
use crate::error::{GraphIssue, RuntimeError};
use crate::graph::descriptor::{GraphDesc, Scheme, Transport};
use crate::graph::load::GraphSource;
use crate::params::{closest, Params};
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
}

fn steps_of(ms: f64, dt: f64) -> Option<u64> {
    let s = ms / dt;
    let r = s.round();
    ((s - r).abs() <= 1e-6 * r.max(1.0) && r >= 0.0).then_some(r as u64)
}

fn valid_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

impl ValidGraph {
    /// Parses, validates and builds `source` with the kinds of `registry`.
    pub fn load(source: GraphSource, registry: &Registry) -> Result<Self, RuntimeError> {
        let desc = source.parse()?;
        Self::from_desc(desc, source, registry)
    }

    /// Validates and builds an already parsed descriptor.
    pub fn from_desc(
        desc: GraphDesc,
        source: GraphSource,
        registry: &Registry,
    ) -> Result<Self, RuntimeError> {
        let mut issues: Vec<GraphIssue> = vec![];
        let mut push = |path: String, msg: String, hint: Option<String>| {
            issues.push(GraphIssue {
                file: source.file(),
                line_col: source.locate(&path),
                path,
                message: msg,
                hint,
            });
        };
        let sim = &desc.simulation;
        let dt = sim.dt_ms;
        let mut total_steps = 0;
        if !(dt.is_finite() && dt > 0.0) {
            push(
                "simulation.dt_ms".into(),
                format!("{dt} must be a finite time > 0 ms"),
                None,
            );
        } else if !(sim.duration_ms.is_finite() && sim.duration_ms > 0.0) {
            push(
                "simulation.duration_ms".into(),
                format!("{} must be a finite time > 0 ms", sim.duration_ms),
                None,
            );
        } else {
            match steps_of(sim.duration_ms, dt) {
                Some(s) if s >= 1 => total_steps = s,
                _ => push(
                    "simulation.duration_ms".into(),
                    format!(
                        "{} ms is not a whole number of steps of {dt} ms",
                        sim.duration_ms
                    ),
                    Some("make duration_ms a multiple of dt_ms".into()),
                ),
            }
        }
        let dt_ok = total_steps > 0;

        // actors
        let base = source.base_dir();
        let mut actors: Vec<BuiltActor> = vec![];
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (name, a) in &desc.actors {
            let at = format!("actors.{name}");
            if !valid_name(name) {
                push(
                    at.clone(),
                    format!("`{name}` is not a valid actor name"),
                    Some("use letters, digits, `_` and `-`, starting with a letter".into()),
                );
                continue;
            }
            if let Some(p) = &a.process {
                if !valid_name(p) {
                    push(
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
                push(
                    format!("{at}.kind"),
                    format!("unknown actor kind `{}`", a.kind),
                    Some(hint),
                );
                continue;
            };
            let params = Params::new(&a.params, kind.params, &base);
            let errs = params.check();
            if !errs.is_empty() {
                for e in errs {
                    let p = if e.key.is_empty() {
                        at.clone()
                    } else {
                        format!("{at}.{}", e.key)
                    };
                    push(p, e.message, e.hint);
                }
                continue;
            }
            if !dt_ok {
                continue;
            }
            let ctx = BuildCtx {
                name,
                params,
                dt_ms: dt,
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
                Err(e) => {
                    let p = if e.key.is_empty() {
                        at.clone()
                    } else {
                        format!("{at}.{}", e.key)
                    };
                    push(p, e.message, e.hint);
                }
            }
        }
        if desc.actors.is_empty() {
            push(
                "actors".into(),
                "the graph has no actors".into(),
                Some("add an [actors.NAME] table with a `kind`".into()),
            );
        }

        // edges
        let mut edges = vec![];
        let mut fed: BTreeMap<(usize, &str), usize> = BTreeMap::new();
        for (k, e) in desc.edges.iter().enumerate() {
            let at = format!("edges[{k}]");
            let ends = [("from", &e.from), ("to", &e.to)].map(|(field, s)| {
                let p = format!("{at}.{field}");
                let Some((actor, port)) = s.split_once('.') else {
                    return Err((p, format!("`{s}` is not of the form actor.port"), None));
                };
                let Some(&ai) = index.get(actor) else {
                    if desc.actors.contains_key(actor) {
                        return Err((p, String::new(), None)); // actor already reported
                    }
                    let names: Vec<&str> = desc.actors.keys().map(|s| s.as_str()).collect();
                    let hint = closest(actor, &names)
                        .map(|c| format!("did you mean `{c}`?"))
                        .or_else(|| Some(format!("actors: {}", names.join(", "))));
                    return Err((p, format!("no actor named `{actor}`"), hint));
                };
                let kind = &actors[ai].kind;
                let decl = if field == "from" {
                    kind.output(port)
                } else {
                    kind.input(port)
                };
                let Some(decl) = decl else {
                    let (what, list) = if field == "from" {
                        ("output", kind.outputs)
                    } else {
                        ("input", kind.inputs)
                    };
                    let other = if field == "from" {
                        kind.input(port).is_some()
                    } else {
                        kind.output(port).is_some()
                    };
                    let names: Vec<String> = list
                        .iter()
                        .map(|p| format!("{} ({})", p.name, p.ty))
                        .collect();
                    let msg = if other {
                        format!(
                            "`{port}` of `{actor}` ({}) is an {}, not an {what}",
                            kind.name,
                            if field == "from" { "input" } else { "output" }
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
            });
            let [from, to] = ends;
            let (from, to) = match (from, to) {
                (Ok(f), Ok(t)) => (f, t),
                (f, t) => {
                    for r in [f.err(), t.err()].into_iter().flatten() {
                        if !r.1.is_empty() {
                            push(r.0, r.1, r.2);
                        }
                    }
                    continue;
                }
            };
            if from.2 != to.2 {
                push(
                    at.clone(),
                    format!(
                        "type mismatch: `{}` sends {} but `{}` takes {}",
                        e.from, from.2, e.to, to.2
                    ),
                    Some(
                        "insert a transformer actor between them (`brainstream list` shows them)"
                            .into(),
                    ),
                );
                continue;
            }
            if let Some(ep) = &e.endpoint {
                if e.transport != Transport::Zmq {
                    push(
                        format!("{at}.endpoint"),
                        "an endpoint needs transport = \"zmq\" (shared-memory files are named by the run)".into(),
                        None,
                    );
                    continue;
                }
                let ok = ep.strip_prefix("tcp://").is_some_and(|r| {
                    r.rsplit_once(':')
                        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
                }) || ep.strip_prefix("ipc://").is_some_and(|r| !r.is_empty());
                if !ok {
                    push(
                        format!("{at}.endpoint"),
                        format!("`{ep}` is not a ZeroMQ endpoint"),
                        Some("tcp://HOST:PORT or ipc:///PATH".into()),
                    );
                    continue;
                }
            }
            let delay_steps = if !(e.delay_ms.is_finite() && e.delay_ms >= 0.0) {
                push(
                    format!("{at}.delay_ms"),
                    format!("{} must be a finite time ≥ 0 ms", e.delay_ms),
                    None,
                );
                continue;
            } else if !dt_ok {
                continue;
            } else {
                match steps_of(e.delay_ms, dt) {
                    Some(s) => s,
                    None => {
                        push(
                            format!("{at}.delay_ms"),
                            format!(
                                "{} ms is not a whole number of steps of {dt} ms",
                                e.delay_ms
                            ),
                            None,
                        );
                        continue;
                    }
                }
            };
            if let Some(prev) = fed.insert((to.0, to.1), k) {
                push(
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

        // the synchronisation window
        let mut window_steps = 0;
        if dt_ok {
            let min_delay = edges
                .iter()
                .filter(|e| e.delay_steps > 0)
                .map(|e| e.delay_steps)
                .min();
            window_steps = match sim.sync_ms {
                Some(s) => {
                    if !(s.is_finite() && s > 0.0) {
                        push(
                            "simulation.sync_ms".into(),
                            format!("{s} must be a finite time > 0 ms"),
                            None,
                        );
                        0
                    } else {
                        match steps_of(s, dt) {
                            Some(w) if w >= 1 => {
                                if let Some(md) = min_delay {
                                    if w > md {
                                        push(
                                            "simulation.sync_ms".into(),
                                            format!(
                                                "a window of {s} ms is longer than the smallest edge delay ({} ms): an actor would need data from its future",
                                                md as f64 * dt
                                            ),
                                            Some("make sync_ms at most the smallest delay_ms, or leave it out for that default".into()),
                                        );
                                    }
                                }
                                w
                            }
                            _ => {
                                push(
                                    "simulation.sync_ms".into(),
                                    format!(
                                        "{s} ms is not a whole number (≥ 1) of steps of {dt} ms"
                                    ),
                                    None,
                                );
                                0
                            }
                        }
                    }
                }
                None => match min_delay {
                    Some(md) => md,
                    None => steps_of(10.0, dt).unwrap_or(1).clamp(1, total_steps.max(1)),
                },
            };
        }

        // cycles through zero-delay edges
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
            push(
                "edges".into(),
                format!("cycle without delay between actors {}", cyc.join(", ")),
                Some("give one edge of the cycle a delay_ms of at least one window".into()),
            );
        }

        if !issues.is_empty() {
            return Err(RuntimeError::Invalid(issues));
        }
        Ok(Self {
            desc,
            source,
            actors,
            edges,
            dt_ms: dt,
            total_steps,
            window_steps,
            order,
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
