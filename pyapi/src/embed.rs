//! Running a graph for an embedding program, without Python: actors and
//! edges added to a graph file, Python actors' kinds, recorders kept in
//! memory, and the labels of recorded spikes.
//!
//! The bindings (`py/`) are a thin layer over this module, which is why it
//! compiles, and is tested, without Python.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use brainstream::actors::memory_recorder::{Discard, MemoryRecorder, Shared};
use brainstream::runtime::graph::descriptor::{ActorDesc, EdgeDesc};
use brainstream::runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, GraphIssue, GraphSource,
    Inputs, KindSpec, Outputs, ParamSpec, ParamType, PlanCtx, PortDecl, PortShape, PortType,
    Registry, RuntimeError, ValidGraph, WindowInfo,
};

/// The kind of recorders whose windows an embedding program keeps.
pub const RECORDER: &str = "hdf5_recorder";
/// The kind of actors left out of a run that writes no files.
pub const PLOT: &str = "png_plot";
/// What the kind of a Python actor starts with (`python:NAME`).
pub const PYTHON_KIND: &str = "python:";

/// An actor added to a graph by the embedding program.
#[derive(Debug, Clone)]
pub enum Addition {
    /// Any kind, as a table of a graph file would give it.
    Desc(ActorDesc),
    /// A Python actor: its ports, and the keys each of its `control`
    /// outputs declares (checked against the steered actor when the graph
    /// is validated); its function is attached after validation
    /// ([`attach`]).
    Python {
        inputs: Vec<(String, PortType)>,
        outputs: Vec<(String, PortType)>,
        control_keys: Vec<(String, Vec<String>)>,
    },
}

/// Actors and edges added to a graph file.
#[derive(Debug, Clone, Default)]
pub struct Additions {
    pub actors: Vec<(String, Addition)>,
    pub edges: Vec<EdgeDesc>,
}

impl Additions {
    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty() && self.edges.is_empty()
    }
}

/// A port type by its name in graph files and `brainstream list`.
pub fn port_type(name: &str) -> Option<PortType> {
    match name {
        "series" => Some(PortType::Series),
        "current" => Some(PortType::Current),
        "spikes" => Some(PortType::Spikes),
        "control" => Some(PortType::Control),
        _ => None,
    }
}

/// An edge as a graph file's `[[edges]]` table would give it.
pub fn edge(from: &str, to: &str, delay_ms: f64) -> EdgeDesc {
    EdgeDesc {
        from: from.to_string(),
        to: to.to_string(),
        delay_ms,
        transport: Default::default(),
        endpoint: None,
    }
}

/// The parameter of a Python actor's kind: the keys of its `control`
/// outputs, `{ PORT = [KEY, …] }` (what `PyActor(outputs={"u": ("control",
/// [KEY, …])})` declares).
const CONTROL_KEYS: ParamSpec = ParamSpec {
    name: "control_keys",
    ty: ParamType::Table,
    default: DefaultValue::Optional,
    range: None,
    unit: "",
    doc: "The steerable keys each `control` output sends, { PORT = [\"coupling_params.a\"] }: checked against the steered actor before the run",
};

/// Stands for a Python actor between validation and [`attach`]: it
/// declares the keys of its `control` outputs (so that validation checks
/// them against the steered actor); a run that reaches its `step` was
/// prepared wrongly.
struct Unattached {
    control: Vec<(&'static str, Vec<String>)>,
}

impl Actor for Unattached {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        Ok(Footprint {
            outputs: self
                .control
                .iter()
                .map(|(port, keys)| {
                    (
                        *port,
                        PortShape::named_series(
                            keys,
                            &["value".to_string()],
                            1.0 / ctx.window_steps.max(1) as f64,
                        ),
                    )
                })
                .collect(),
            ..Footprint::default()
        })
    }

    fn step(&mut self, _: &WindowInfo, _: &Inputs, _: &mut Outputs) -> Result<(), ActorError> {
        Err(ActorError::new(
            "internal error: this Python actor's function was not attached",
        ))
    }
}

/// `name` as a `&'static str`, made once per process (port names of
/// Python kinds are few and short).
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<std::collections::HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(n);
    n
}

fn build_unattached(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let mut control = vec![];
    if let Some(t) = ctx.params.table(CONTROL_KEYS.name)? {
        for (port, keys) in t {
            let at = format!("{}.{port}", CONTROL_KEYS.name);
            let keys = keys
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|k| k.as_str().map(String::from))
                        .collect::<Option<Vec<String>>>()
                })
                .ok_or_else(|| BuildError::at(&at, "a list of steerable keys (strings)"))?;
            control.push((intern(port), keys));
        }
    }
    Ok(Box::new(Unattached { control }))
}

/// The kind of Python actor `name` with these ports. Kinds name their
/// ports with `&'static str`: each distinct (name, ports) is made once per
/// process and kept (a few bytes), however many graphs use it.
pub fn python_kind(
    name: &str,
    inputs: &[(String, PortType)],
    outputs: &[(String, PortType)],
) -> KindSpec {
    static KINDS: OnceLock<Mutex<HashMap<String, KindSpec>>> = OnceLock::new();
    let key = format!("{name}\u{0}{inputs:?}\u{0}{outputs:?}");
    let mut kinds = KINDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    *kinds.entry(key).or_insert_with(|| {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let ports = |list: &[(String, PortType)], what: &str| -> &'static [PortDecl] {
            let v: Vec<PortDecl> = list
                .iter()
                .map(|(n, ty)| PortDecl {
                    name: leak(n.clone()),
                    ty: *ty,
                    doc: leak(format!("{what} of the Python function")),
                    end_stamped: false,
                })
                .collect();
            Box::leak(v.into_boxed_slice())
        };
        KindSpec {
            name: leak(format!("{PYTHON_KIND}{name}")),
            doc: "A Python function called once per window (brainstream.PyActor)",
            params: &[CONTROL_KEYS],
            inputs: ports(inputs, "input"),
            outputs: ports(outputs, "output"),
            build: build_unattached,
        }
    })
}

/// One parameter change a `control` input applied, as `brainstream run`
/// writes it to `steering.jsonl`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SteeringEvent {
    /// The window before which it applied.
    pub window: u64,
    /// `ACTOR.PARAMETER`.
    pub key: String,
    pub old: f64,
    pub new: f64,
    /// `control:PRODUCER.PORT`.
    pub source: String,
}

/// Keeps the changes applied from `control` inputs during a run (a Python
/// or built-in controller's), and writes each, as it comes, to
/// `OUT/steering.jsonl` when the run writes files.
pub struct SteeringLog {
    names: Mutex<Vec<String>>,
    file: Option<std::path::PathBuf>,
    pub events: Mutex<Vec<SteeringEvent>>,
}

impl SteeringLog {
    /// Writing to `file` (replaced), if given.
    pub fn new(file: Option<std::path::PathBuf>) -> Self {
        if let Some(f) = &file {
            let _ = std::fs::remove_file(f);
        }
        Self {
            names: Mutex::new(vec![]),
            file,
            events: Mutex::new(vec![]),
        }
    }
}

impl brainstream::runtime::WindowHook for SteeringLog {
    fn attach(&self, shape: &brainstream::runtime::RunShape) {
        *self.names.lock().unwrap_or_else(|e| e.into_inner()) =
            shape.actors.iter().map(|a| a.0.clone()).collect();
    }

    fn steered(
        &self,
        actor: usize,
        window: u64,
        c: &brainstream::runtime::control::Applied,
    ) -> Result<(), ActorError> {
        let name = self
            .names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(actor)
            .cloned()
            .unwrap_or_default();
        let e = SteeringEvent {
            window,
            key: format!("{name}.{}", c.key),
            old: c.old,
            new: c.new,
            source: format!("control:{}", c.source),
        };
        if let Some(f) = &self.file {
            use std::io::Write;
            let line = serde_json::to_string(&e).map_err(|err| ActorError::new(err.to_string()))?;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(f)
                .and_then(|mut h| writeln!(h, "{line}"))
                .map_err(|err| ActorError::new(format!("{}: {err}", f.display())))?;
        }
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(e);
        Ok(())
    }
}

fn issue(source: &GraphSource, path: String, message: String, hint: Option<String>) -> GraphIssue {
    GraphIssue {
        file: source.file(),
        line_col: None,
        path,
        message,
        hint,
    }
}

/// Parses `source`, adds `additions`, validates and builds the graph with
/// every kind of brainstream and the Python actors' kinds. The text kept
/// as the run's provenance (recordings' `graph` attribute) gets the
/// additions appended as TOML.
pub fn validate(source: GraphSource, additions: &Additions) -> Result<ValidGraph, RuntimeError> {
    let mut desc = source.parse()?;
    let mut registry: Registry = brainstream::default_registry();
    let mut issues = vec![];
    for (name, a) in &additions.actors {
        if desc.actors.contains_key(name) {
            issues.push(issue(
                &source,
                format!("actors.{name}"),
                format!("an actor `{name}` is already in the graph"),
                Some("choose another name".into()),
            ));
            continue;
        }
        if name.is_empty() || name.contains(['.', ' ']) {
            issues.push(issue(
                &source,
                format!("actors.{name}"),
                format!("`{name}` cannot name an actor"),
                Some("a name without dots or spaces".into()),
            ));
            continue;
        }
        let ad = match a {
            Addition::Desc(d) => d.clone(),
            Addition::Python {
                inputs,
                outputs,
                control_keys,
            } => {
                let k = python_kind(name, inputs, outputs);
                registry.register(k);
                let mut params = toml::Table::new();
                if !control_keys.is_empty() {
                    let t: toml::Table = control_keys
                        .iter()
                        .map(|(port, keys)| {
                            let keys = keys.iter().map(|k| toml::Value::from(k.as_str()));
                            (port.clone(), toml::Value::Array(keys.collect()))
                        })
                        .collect();
                    params.insert(CONTROL_KEYS.name.into(), toml::Value::Table(t));
                }
                ActorDesc {
                    kind: k.name.to_string(),
                    process: None,
                    params,
                }
            }
        };
        desc.actors.insert(name.clone(), ad);
    }
    if !issues.is_empty() {
        return Err(RuntimeError::Invalid(issues));
    }
    desc.edges.extend(additions.edges.iter().cloned());
    let added = (!additions.is_empty()).then(|| provenance_of(additions, &desc));
    let mut g = ValidGraph::from_desc(desc, source, &registry)?;
    if let Some(text) = added {
        g.source.text.push_str(&text);
    }
    Ok(g)
}

/// The additions as TOML, for the provenance text.
fn provenance_of(additions: &Additions, desc: &brainstream::GraphDesc) -> String {
    let mut s = String::from("\n\n# added by the embedding program (brainstream Python package)\n");
    for (name, _) in &additions.actors {
        if let Some(a) = desc.actors.get(name) {
            let mut t = toml::Table::new();
            let mut inner = a.params.clone();
            inner.insert("kind".into(), toml::Value::String(a.kind.clone()));
            t.insert(name.clone(), toml::Value::Table(inner));
            let mut top = toml::Table::new();
            top.insert("actors".into(), toml::Value::Table(t));
            s.push_str(&toml::to_string(&top).unwrap_or_default());
        }
    }
    if !additions.edges.is_empty() {
        #[derive(serde::Serialize)]
        struct Edges<'a> {
            edges: &'a [EdgeDesc],
        }
        s.push_str(
            &toml::to_string(&Edges {
                edges: &additions.edges,
            })
            .unwrap_or_default(),
        );
    }
    s
}

/// Puts the Python actor `actor` in place of the stand-in validation built
/// for actor `name`. False: no such Python actor in the graph.
pub fn attach(g: &mut ValidGraph, name: &str, actor: Box<dyn Actor>) -> bool {
    match g
        .actors
        .iter_mut()
        .find(|a| a.name == name && a.kind.name.starts_with(PYTHON_KIND))
    {
        Some(a) => {
            a.actor = actor;
            true
        }
        None => false,
    }
}

/// Keeps every recorder's windows in memory: each `hdf5_recorder` is
/// replaced by a [`MemoryRecorder`] (wrapping it when `write_files`: its
/// file is written too). Without `write_files`, `png_plot` actors are
/// replaced by actors that draw nothing. The estimate of what the run
/// holds and writes is corrected accordingly (validation estimated files,
/// not memory). Returns each recorder's name and handle, in graph order.
pub fn keep_in_memory(g: &mut ValidGraph, write_files: bool) -> Vec<(String, Shared)> {
    let mut recs = vec![];
    let mut moved = HashMap::new();
    for a in g.actors.iter_mut() {
        if a.kind.name == RECORDER {
            let inner = std::mem::replace(&mut a.actor, Box::new(Discard));
            let (m, shared) = if write_files {
                MemoryRecorder::tee(inner)
            } else {
                MemoryRecorder::new()
            };
            a.actor = Box::new(m);
            recs.push((a.name.clone(), shared));
            moved.insert(a.name.clone(), true);
        } else if a.kind.name == PLOT && !write_files {
            a.actor = Box::new(Discard);
            moved.insert(a.name.clone(), false);
        }
    }
    let fp = &mut g.footprint;
    for (name, mem, disk) in fp.by_actor.iter_mut() {
        let Some(&recorder) = moved.get(name.as_str()) else {
            continue;
        };
        if recorder {
            // every value it writes is held too
            *mem += *disk;
            fp.memory_bytes += *disk;
        }
        if !write_files {
            fp.disk_bytes -= *disk;
            *disk = 0.0;
        }
    }
    fp.disk_bytes = fp.disk_bytes.max(0.0);
    recs
}

/// Who sent the spikes a recorder received: the producer's regions and
/// populations (name, size), its neurons numbered region after region,
/// populations in the order of its `populations` table.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeLabels {
    pub regions: Vec<String>,
    pub populations: Vec<(String, usize)>,
}

impl SpikeLabels {
    /// Region and population index of each sender (-1: outside the
    /// numbering).
    pub fn codes(&self, senders: &[u32]) -> (Vec<i32>, Vec<i32>) {
        let per_region: usize = self.populations.iter().map(|p| p.1).sum();
        let mut first = Vec::with_capacity(self.populations.len());
        let mut acc = 0;
        for p in &self.populations {
            first.push(acc);
            acc += p.1;
        }
        let mut regions = Vec::with_capacity(senders.len());
        let mut pops = Vec::with_capacity(senders.len());
        for &s in senders {
            let s = s as usize;
            let r = s.checked_div(per_region).unwrap_or(usize::MAX);
            if r >= self.regions.len() {
                regions.push(-1);
                pops.push(-1);
                continue;
            }
            let within = s - r * per_region;
            let p = first.partition_point(|&f| f <= within) - 1;
            regions.push(r as i32);
            pops.push(p as i32);
        }
        (regions, pops)
    }
}

/// The labels of the spikes recorder `name` receives, when they come from
/// one `spiking_network` or `external` actor (whose neurons are numbered
/// by region and population); None otherwise.
pub fn spike_labels(g: &ValidGraph, name: &str) -> Option<SpikeLabels> {
    let me = g.actors.iter().position(|a| a.name == name)?;
    let mut from = g
        .edges
        .iter()
        .filter(|e| e.to == me && e.to_port == "spikes")
        .map(|e| (e.from, e.from_port));
    let (producer, port) = from.next()?;
    if from.next().is_some() || port != "spikes" {
        return None;
    }
    let p = &g.actors[producer];
    if !matches!(p.kind.name, "spiking_network" | "external") {
        return None;
    }
    let params = &g.desc.actors.get(&p.name)?.params;
    let regions = params
        .get("regions")?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(String::from))
        .collect::<Option<Vec<_>>>()?;
    let populations = params
        .get("populations")?
        .as_table()?
        .iter()
        .map(|(k, v)| Some((k.clone(), usize::try_from(v.as_integer()?).ok()?)))
        .collect::<Option<Vec<_>>>()?;
    Some(SpikeLabels {
        regions,
        populations,
    })
}

/// A `--set` argument from a key path and a value given as JSON (what an
/// embedding program has): `simulation.duration_ms=500`,
/// `actors.brain.model_params={ J_N = 0.3 }`.
pub fn override_arg(key: &str, value: &serde_json::Value) -> Result<String, String> {
    let v = json_to_toml(value).ok_or_else(|| format!("{key}: None cannot be set"))?;
    Ok(format!("{key}={v}"))
}

fn json_to_toml(v: &serde_json::Value) -> Option<toml::Value> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => return None,
        J::Bool(b) => toml::Value::Boolean(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        J::String(s) => toml::Value::String(s.clone()),
        J::Array(a) => toml::Value::Array(a.iter().map(json_to_toml).collect::<Option<_>>()?),
        J::Object(o) => toml::Value::Table(
            o.iter()
                .map(|(k, v)| Some((k.clone(), json_to_toml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream::actors::memory_recorder::lock;
    use brainstream::RunOptions;

    const GRAPH: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 2.0
seed = 3

[actors.src]
kind = "linear_ode"

[actors.rec]
kind = "hdf5_recorder"

[actors.plot]
kind = "png_plot"

[[edges]]
from = "src.output"
to = "rec.input"

[[edges]]
from = "src.output"
to = "plot.series"
"#;

    #[test]
    fn recorders_keep_windows_in_memory_and_write_nothing() {
        let mut g = validate(GraphSource::from_toml(GRAPH), &Additions::default()).unwrap();
        let disk_before = g.footprint.disk_bytes;
        assert!(disk_before > 0.0);
        let recs = keep_in_memory(&mut g, false);
        assert_eq!(g.footprint.disk_bytes, 0.0);
        assert_eq!(recs.len(), 1);
        let out = tempfile::tempdir().unwrap();
        brainstream::run_graph(
            g,
            &RunOptions {
                out_dir: out.path().into(),
                ..Default::default()
            },
            |_| {},
        )
        .unwrap();
        let r = lock(&recs[0].1);
        let s = r.series.as_ref().unwrap();
        assert_eq!(s.stamps, (1..=20).collect::<Vec<u64>>());
        assert!(r.complete);
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_tee_writes_the_same_windows_to_the_file() {
        let mut g = validate(GraphSource::from_toml(GRAPH), &Additions::default()).unwrap();
        let recs = keep_in_memory(&mut g, true);
        let out = tempfile::tempdir().unwrap();
        let s = brainstream::run_graph(
            g,
            &RunOptions {
                out_dir: out.path().into(),
                ..Default::default()
            },
            |_| {},
        )
        .unwrap();
        assert!(s.files.iter().any(|f| f.ends_with("rec.h5")));
        assert!(s.files.iter().any(|f| f.ends_with("plot.png")));
        assert_eq!(lock(&recs[0].1).series.as_ref().unwrap().len(), 20);
    }

    #[test]
    fn python_actors_and_edges_are_added_and_named_in_errors() {
        let add = Additions {
            actors: vec![(
                "tf".into(),
                Addition::Python {
                    inputs: vec![("x".into(), PortType::Series)],
                    outputs: vec![("y".into(), PortType::Series)],
                    control_keys: vec![],
                },
            )],
            edges: vec![
                edge("src.output", "tf.x", 0.0),
                edge("tf.y", "rec.spikes", 0.0),
            ],
        };
        let e = validate(GraphSource::from_toml(GRAPH), &add).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("edges[3]"), "{text}");
        assert!(text.contains("spikes"), "{text}");
        let add = Additions {
            edges: vec![edge("src.output", "tf.x", 0.0)],
            ..add
        };
        let mut g = validate(GraphSource::from_toml(GRAPH), &add).unwrap();
        assert!(g.source.provenance().contains("kind = \"python:tf\""));
        assert!(attach(&mut g, "tf", Box::new(Discard)));
        assert!(!attach(&mut g, "src", Box::new(Discard)));
        // the same kind twice: made once
        let k1 = python_kind("tf", &[], &[]);
        let k2 = python_kind("tf", &[], &[]);
        assert!(std::ptr::eq(k1.name, k2.name));
    }

    /// A Python controller: its `control` output's declared keys are
    /// checked against the steered actor when the graph is validated, as a
    /// built-in controller's are.
    #[test]
    fn a_python_controller_s_keys_are_checked_at_validation() {
        const LOOP: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 20.0
sync_ms = 10.0

[actors.brain]
kind = "mean_field"
model = "ReducedWongWang"
connectivity = "builtin:tvb76"
coupling = "Linear"
variables = ["S"]
"#;
        let with = |keys: &[&str], to: &str| Additions {
            actors: vec![(
                "ctrl".into(),
                Addition::Python {
                    inputs: vec![("x".into(), PortType::Series)],
                    outputs: vec![("u".into(), PortType::Control)],
                    control_keys: if keys.is_empty() {
                        vec![]
                    } else {
                        vec![("u".into(), keys.iter().map(|k| k.to_string()).collect())]
                    },
                },
            )],
            edges: vec![edge("brain.state", "ctrl.x", 0.0), edge("ctrl.u", to, 10.0)],
        };
        let g = validate(
            GraphSource::from_toml(LOOP),
            &with(&["coupling_params.a"], "brain.control"),
        )
        .unwrap();
        assert!(
            g.source
                .provenance()
                .contains("[actors.ctrl.control_keys]\nu = [\"coupling_params.a\"]"),
            "{}",
            g.source.provenance()
        );
        // keys known only at run time: checked at the first window
        validate(GraphSource::from_toml(LOOP), &with(&[], "brain.control")).unwrap();
        let e = validate(
            GraphSource::from_toml(LOOP),
            &with(&["coupling_params.a", "speed_mm_per_ms"], "brain.control"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`ctrl.u` sends `speed_mm_per_ms`, which `brain` (mean_field) cannot change during a run: the delays are whole steps of the history, fixed when the run starts; these can: coupling_params.a, coupling_params.b, model_params.{"),
            "{e}"
        );
        let e = validate(GraphSource::from_toml(LOOP), &with(&[], "brain.stimulus"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`ctrl.u` sends control but"), "{e}");
    }

    #[test]
    fn an_added_actor_may_not_replace_one() {
        let add = Additions {
            actors: vec![(
                "src".into(),
                Addition::Python {
                    inputs: vec![],
                    outputs: vec![],
                    control_keys: vec![],
                },
            )],
            edges: vec![],
        };
        let e = validate(GraphSource::from_toml(GRAPH), &add).unwrap_err();
        assert!(e.to_string().contains("already in the graph"), "{e}");
    }

    #[test]
    fn spike_senders_are_labelled_by_region_and_population() {
        let l = SpikeLabels {
            regions: vec!["rM1".into(), "lM1".into()],
            populations: vec![("E".into(), 3), ("I".into(), 1)],
        };
        let (r, p) = l.codes(&[0, 2, 3, 4, 7, 8]);
        assert_eq!(r, vec![0, 0, 0, 1, 1, -1]);
        assert_eq!(p, vec![0, 0, 1, 0, 1, -1]);
    }

    #[test]
    fn the_cosimulation_spikes_have_labels() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../graphs/cosim_wc76_spiking.toml");
        let g = validate(
            GraphSource::from_file(&path).unwrap(),
            &Additions::default(),
        )
        .unwrap();
        let l = spike_labels(&g, "spikes").unwrap();
        assert_eq!(l.regions, vec!["rM1", "lM1"]);
        assert_eq!(l.populations, vec![("E".into(), 800), ("I".into(), 200)]);
        assert!(spike_labels(&g, "raw").is_none());
    }

    #[test]
    fn overrides_are_written_as_toml_values() {
        let j = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(override_arg("a.b", &j("500")).unwrap(), "a.b=500");
        assert_eq!(override_arg("a.b", &j("0.5")).unwrap(), "a.b=0.5");
        assert_eq!(override_arg("a.b", &j("\"x y\"")).unwrap(), "a.b=\"x y\"");
        assert_eq!(
            override_arg("a", &j("{\"J_N\": 0.3}")).unwrap(),
            "a={ J_N = 0.3 }"
        );
        assert!(override_arg("a", &j("null")).is_err());
        let mut t = toml::Table::new();
        brainstream::runtime::graph::load::apply_override(
            &mut t,
            &override_arg("x.y", &j("[1, 2.5]")).unwrap(),
        )
        .unwrap();
        assert_eq!(t["x"]["y"][1].as_float(), Some(2.5));
    }
}
