//! `NativeGraph`: a graph file (or text) with its overrides and what Python
//! added to it; validated and run by the library. `brainstream.Graph`
//! wraps it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use brainstream::runtime::graph::descriptor::ActorDesc;
use brainstream::runtime::{Cancel, GraphSource, RunOptions, RuntimeError, ValidGraph};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::actor::{PyActor, Raised};
use super::errors::runtime_error;
use super::{results, wait};
use crate::embed::{self, Addition, Additions};

/// A graph as the library sees it, before validation.
#[pyclass(module = "brainstream._native")]
pub struct NativeGraph {
    source: GraphSource,
    additions: Additions,
    /// the `brainstream.PyActor` object of each Python actor
    py_actors: Vec<(String, Py<PyAny>)>,
}

fn port_list(
    list: Vec<(String, String)>,
) -> PyResult<Vec<(String, brainstream::runtime::PortType)>> {
    list.into_iter()
        .map(|(n, t)| {
            embed::port_type(&t)
                .map(|ty| (n.clone(), ty))
                .ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "port `{n}`: unknown type `{t}` (series, current, spikes or control)"
                    ))
                })
        })
        .collect()
}

/// Raises the error of loading or validating.
fn raise(py: Python<'_>, e: &RuntimeError) -> PyErr {
    match runtime_error(py, e, None) {
        Ok(v) => PyErr::from_value(v),
        Err(e) => e,
    }
}

impl NativeGraph {
    fn validated(&self, py: Python<'_>) -> PyResult<ValidGraph> {
        let (source, additions) = (self.source.clone(), self.additions.clone());
        py.detach(move || embed::validate(source, &additions))
            .map_err(|e| raise(py, &e))
    }
}

#[pymethods]
impl NativeGraph {
    /// A graph from a file (`path`), or from text (`text`: JSON when
    /// `json`, else TOML; paths in it relative to the working folder),
    /// with `--set` overrides.
    #[new]
    #[pyo3(signature = (path=None, text=None, json=false, overrides=vec![]))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        text: Option<String>,
        json: bool,
        overrides: Vec<String>,
    ) -> PyResult<Self> {
        let source = match (path, text) {
            (Some(p), None) => GraphSource::from_file(&p).map_err(|e| raise(py, &e))?,
            (None, Some(t)) => GraphSource {
                path: None,
                text: t,
                json,
                overrides: vec![],
            },
            _ => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "give a path or a text",
                ))
            }
        };
        Ok(Self {
            source: source.with_overrides(overrides),
            additions: Additions::default(),
            py_actors: vec![],
        })
    }

    /// Adds overrides (`key.path=value`).
    fn set(&mut self, overrides: Vec<String>) {
        self.source.overrides.extend(overrides);
    }

    /// Adds an actor of any kind: `table` is its table as JSON
    /// (`{"kind": ..., params...}`).
    fn add_actor(&mut self, name: String, table: String) -> PyResult<()> {
        let v: serde_json::Value = serde_json::from_str(&table)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let desc: ActorDesc = serde_json::from_value(v)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("actor `{name}`: {e}")))?;
        self.additions.actors.push((name, Addition::Desc(desc)));
        Ok(())
    }

    /// Adds a Python actor: `actor` is a `brainstream.PyActor`, the ports
    /// (name, type) pairs, and the steerable keys its `control` outputs
    /// declare (port, keys).
    #[pyo3(signature = (name, actor, inputs, outputs, control_keys=vec![]))]
    fn add_python_actor(
        &mut self,
        name: String,
        actor: Py<PyAny>,
        inputs: Vec<(String, String)>,
        outputs: Vec<(String, String)>,
        control_keys: Vec<(String, Vec<String>)>,
    ) -> PyResult<()> {
        let (inputs, outputs) = (port_list(inputs)?, port_list(outputs)?);
        self.additions.actors.push((
            name.clone(),
            Addition::Python {
                inputs,
                outputs,
                control_keys,
            },
        ));
        self.py_actors.push((name, actor));
        Ok(())
    }

    /// Adds an edge `from` → `to` (`actor.port`), delayed by `delay_ms`.
    #[pyo3(signature = (src, dst, delay_ms=0.0))]
    fn add_edge(&mut self, src: &str, dst: &str, delay_ms: f64) {
        self.additions.edges.push(embed::edge(src, dst, delay_ms));
    }

    /// The graph's text with the overrides and additions (what recordings
    /// keep as provenance), after validation.
    fn text(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.validated(py)?.source.provenance())
    }

    /// The graph in Graphviz DOT.
    fn dot(&self, py: Python<'_>) -> PyResult<String> {
        Ok(brainstream::to_dot(&self.validated(py)?))
    }

    /// Validates (building every actor, as `brainstream validate`); returns
    /// what the run would be: sizes, window, memory and output, and
    /// warnings where the machine is short (an error without
    /// `allow_large`).
    #[pyo3(signature = (out=None, allow_large=false))]
    fn validate<'py>(
        &self,
        py: Python<'py>,
        out: Option<PathBuf>,
        allow_large: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut g = self.validated(py)?;
        embed::keep_in_memory(&mut g, out.is_some());
        let warnings = g
            .check_machine(out.as_deref(), allow_large)
            .map_err(|e| raise(py, &e))?;
        let d = PyDict::new(py);
        d.set_item("actors", g.actors.len())?;
        d.set_item("edges", g.edges.len())?;
        d.set_item("total_steps", g.total_steps)?;
        d.set_item("dt_ms", g.dt_ms)?;
        d.set_item("windows", g.n_windows())?;
        d.set_item("window_ms", g.window_steps as f64 * g.dt_ms)?;
        d.set_item("scheme", format!("{:?}", g.scheme()).to_lowercase())?;
        d.set_item("memory_bytes", g.footprint.memory_bytes)?;
        d.set_item("disk_bytes", g.footprint.disk_bytes)?;
        d.set_item("warnings", warnings)?;
        let kinds = PyDict::new(py);
        for a in &g.actors {
            kinds.set_item(&a.name, a.kind.name)?;
        }
        d.set_item("kinds", kinds)?;
        Ok(d)
    }

    /// Runs the graph, keeping every recorder's windows in memory (and
    /// writing the files too into `out`, if given). `progress(steps_done,
    /// total_steps, dt_ms)` is called about every 50 ms. Returns
    /// (recordings by recorder, summary or None, exception or None): an
    /// exception is returned, not raised, so that what was recorded before
    /// it comes back with it.
    #[pyo3(signature = (out=None, progress=None, allow_large=false))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        out: Option<PathBuf>,
        progress: Option<Py<PyAny>>,
        allow_large: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let mut g = self.validated(py)?;
        let raised: Raised = Default::default();
        for (name, obj) in &self.py_actors {
            let Some(kind) = g.actors.iter().find(|a| &a.name == name).map(|a| a.kind) else {
                continue;
            };
            let a = PyActor::new(name, obj.clone_ref(py), &kind, raised.clone());
            embed::attach(&mut g, name, Box::new(a));
        }
        let recs = embed::keep_in_memory(&mut g, out.is_some());
        let warnings = g
            .check_machine(out.as_deref(), allow_large)
            .map_err(|e| raise(py, &e))?;
        if !warnings.is_empty() {
            let w = py.import("warnings")?;
            for m in warnings {
                w.call_method1("warn", (m,))?;
            }
        }
        let labels: Vec<_> = recs
            .iter()
            .map(|(n, _)| embed::spike_labels(&g, n))
            .collect();
        let (total, dt) = (g.total_steps, g.dt_ms);
        let tmp = match &out {
            Some(_) => None,
            None => Some(tempfile::tempdir().map_err(|e| {
                pyo3::exceptions::PyOSError::new_err(format!("cannot make a temporary folder: {e}"))
            })?),
        };
        let out_dir = match (&out, &tmp) {
            (Some(o), _) => o.clone(),
            (None, Some(t)) => t.path().to_path_buf(),
            (None, None) => unreachable!("a temporary folder without an output folder"),
        };
        let cancel = Arc::new(Cancel::new());
        // the changes controllers make through `control` inputs
        let steering = Arc::new(embed::SteeringLog::new(
            out.as_ref().map(|o| o.join("steering.jsonl")),
        ));
        let mut hooks = brainstream::runtime::Hooks::none();
        if g.edges
            .iter()
            .any(|e| e.ty == brainstream::runtime::PortType::Control)
        {
            hooks.push(steering.clone());
        }
        let opts = RunOptions {
            out_dir,
            cancel: Some(cancel.clone()),
            hooks,
            ..Default::default()
        };
        let steps = Arc::new(AtomicU64::new(0));
        let s2 = steps.clone();
        let (result, stopped_by) = wait::run(
            py,
            &cancel,
            move || brainstream::run_graph(g, &opts, |p| s2.store(p.steps_done, Ordering::Relaxed)),
            |py| match &progress {
                Some(cb) => cb
                    .call1(py, (steps.load(Ordering::Relaxed), total, dt))
                    .map(|_| ()),
                None => Ok(()),
            },
        );
        drop(tmp);
        // the recordings, whatever happened
        let recordings = PyDict::new(py);
        let mut complete_ms: Option<f64> = None;
        for ((name, shared), l) in recs.iter().zip(&labels) {
            let d = results::recording(py, shared, l.as_ref())?;
            let c: f64 = d
                .get_item("complete_ms")?
                .map_or(Ok(0.0), |v| v.extract())?;
            complete_ms = Some(complete_ms.map_or(c, |m: f64| m.min(c)));
            recordings.set_item(name, d)?;
        }
        let (summary, error) = match result {
            Err(panic) => (
                py.None().into_bound(py),
                pyo3::exceptions::PyRuntimeError::new_err(format!("the run panicked: {panic}"))
                    .into_value(py)
                    .into_bound(py)
                    .into_any(),
            ),
            Ok(Ok(s)) => {
                let d = PyDict::new(py);
                d.set_item("simulated_ms", s.simulated_ms)?;
                d.set_item("wall_s", s.wall.as_secs_f64())?;
                d.set_item("windows", s.windows)?;
                d.set_item("window_steps", s.window_steps)?;
                d.set_item(
                    "files",
                    s.files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>(),
                )?;
                let busy = PyDict::new(py);
                for (n, b) in &s.busy {
                    busy.set_item(n, b.as_secs_f64())?;
                }
                d.set_item("busy_s", busy)?;
                let events = PyList::empty(py);
                for e in steering
                    .events
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                {
                    let x = PyDict::new(py);
                    x.set_item("window", e.window)?;
                    x.set_item("key", &e.key)?;
                    x.set_item("old", e.old)?;
                    x.set_item("new", e.new)?;
                    x.set_item("source", &e.source)?;
                    events.append(x)?;
                }
                d.set_item("steering", events)?;
                // a signal that came after the last window: the run is complete
                let e = match stopped_by {
                    Some(e) if !e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) => {
                        e.into_value(py).into_bound(py).into_any()
                    }
                    _ => py.None().into_bound(py),
                };
                (d.into_any(), e)
            }
            Ok(Err(e)) => {
                let note = out.is_none().then(|| match complete_ms {
                    Some(c) => format!(
                        "the results in memory are complete up to t = {} ms",
                        (c * 1e6).round() / 1e6
                    ),
                    None => "nothing was recorded".to_string(),
                });
                let err = runtime_error(py, &e, note)?;
                // a Python actor's exception is the cause, with its traceback
                let cause = match &e {
                    RuntimeError::ActorFailed { actor, .. } => raised.lock().ok().and_then(|v| {
                        v.iter()
                            .find(|(n, _)| n == actor)
                            .map(|(_, e)| e.clone_ref(py))
                    }),
                    _ => None,
                };
                let cause = cause.or_else(|| {
                    stopped_by
                        .filter(|e| !e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py))
                });
                if let Some(c) = cause {
                    err.setattr("__cause__", c.into_value(py))?;
                }
                (py.None().into_bound(py), err)
            }
        };
        PyTuple::new(py, [recordings.into_any(), summary, error])
    }

    /// The names of the recorders, in graph order (validated first).
    fn recorders<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let g = self.validated(py)?;
        PyList::new(
            py,
            g.actors
                .iter()
                .filter(|a| a.kind.name == embed::RECORDER)
                .map(|a| a.name.clone()),
        )
    }
}
