//! Python actors: a `brainstream.PyActor` in a graph. Each window the
//! scheduler's thread takes the GIL for one call of the object's `_step`
//! (which calls the user's function with numpy arrays and checks what it
//! returns) and releases it at once; the rest of the graph runs without
//! the GIL. Inputs are handed over as tuples of numpy arrays, outputs come
//! back as tuples of numpy arrays (`brainstream/_actor.py` makes and reads
//! them), so the window's values are copied once each way.
//!
//! An exception in the function stops the run like any actor's error; the
//! exception itself is kept ([`Raised`]) so that the run's error is raised
//! from it, with its traceback.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use brainstream::runtime::{
    Actor, ActorError, Inputs, Outputs, Payload, PortType, RunContext, Series, SeriesMeta, Spikes,
    WindowInfo,
};
use numpy::ndarray::Array3;
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray3};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// The exceptions Python actors raised, by actor name, first first.
pub type Raised = Arc<Mutex<Vec<(String, PyErr)>>>;

/// A Python actor, attached to a validated graph in place of its stand-in.
pub struct PyActor {
    name: String,
    /// the `brainstream.PyActor` object
    obj: Py<PyAny>,
    inputs: Vec<(&'static str, PortType)>,
    outputs: Vec<(&'static str, PortType)>,
    /// the last meta of each output series (shared by its windows)
    metas: HashMap<&'static str, Arc<SeriesMeta>>,
    raised: Raised,
}

impl PyActor {
    /// `obj` with the ports of its kind (their names are the kind's).
    pub fn new(
        name: &str,
        obj: Py<PyAny>,
        kind: &brainstream::runtime::KindSpec,
        raised: Raised,
    ) -> Self {
        Self {
            name: name.to_string(),
            obj,
            inputs: kind.inputs.iter().map(|p| (p.name, p.ty)).collect(),
            outputs: kind.outputs.iter().map(|p| (p.name, p.ty)).collect(),
            metas: HashMap::new(),
            raised,
        }
    }

    /// The exception as the run's error, the exception kept.
    fn failed(&self, py: Python<'_>, e: PyErr) -> ActorError {
        let msg = e
            .value(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| e.to_string());
        let ty = e
            .get_type(py)
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        let text = match e.value(py).str() {
            Ok(s) if !s.to_string().is_empty() => format!("{ty}: {s}"),
            _ => msg,
        };
        if let Ok(mut v) = self.raised.lock() {
            v.push((self.name.clone(), e));
        }
        ActorError::new(format!("the Python function raised {text}"))
    }
}

fn series_tuple<'py>(py: Python<'py>, s: &Series) -> PyResult<Bound<'py, PyTuple>> {
    let data = s.data.to_owned().into_pyarray(py);
    PyTuple::new(
        py,
        [
            "series".into_pyobject(py)?.into_any(),
            s.stamps.clone().into_pyarray(py).into_any(),
            s.times_ms.clone().into_pyarray(py).into_any(),
            data.into_any(),
            s.meta.variables.clone().into_pyobject(py)?.into_any(),
            s.meta.nodes.clone().into_pyobject(py)?.into_any(),
            // one unit per variable (Series.units; Series.unit is the
            // shared one, made in Python)
            s.meta.units.clone().into_pyobject(py)?.into_any(),
        ],
    )
}

fn spikes_tuple<'py>(py: Python<'py>, s: &Spikes) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            "spikes".into_pyobject(py)?.into_any(),
            s.senders.clone().into_pyarray(py).into_any(),
            s.times_ms.clone().into_pyarray(py).into_any(),
            s.stamps.clone().into_pyarray(py).into_any(),
        ],
    )
}

/// Reads one output tuple (see `brainstream/_actor.py`).
fn payload(
    t: &Bound<'_, PyAny>,
    port: &str,
    ty: PortType,
    meta: &mut Option<Arc<SeriesMeta>>,
) -> PyResult<Payload> {
    let bad = |m: String| pyo3::exceptions::PyValueError::new_err(format!("output `{port}`: {m}"));
    let what: String = t.get_item(0)?.extract()?;
    match (what.as_str(), ty) {
        ("series", PortType::Series | PortType::Current | PortType::Control) => {
            let stamps: PyReadonlyArray1<u64> = t.get_item(1)?.extract()?;
            let times: PyReadonlyArray1<f64> = t.get_item(2)?.extract()?;
            let data: PyReadonlyArray3<f64> = t.get_item(3)?.extract()?;
            let variables: Vec<String> = t.get_item(4)?.extract()?;
            let nodes: Vec<String> = t.get_item(5)?.extract()?;
            let units: Vec<String> = t.get_item(6)?.extract()?;
            let stamps = stamps.as_slice()?.to_vec();
            let times_ms = times.as_slice()?.to_vec();
            let data: Array3<f64> = data.as_array().to_owned();
            let (k, nv, nn) = data.dim();
            if (k, nv, nn) != (stamps.len(), variables.len(), nodes.len()) || times_ms.len() != k {
                return Err(bad(format!(
                    "data of shape {:?} for {} stamps, {} times, {} variables and {} nodes",
                    (k, nv, nn),
                    stamps.len(),
                    times_ms.len(),
                    variables.len(),
                    nodes.len()
                )));
            }
            if units.len() != nv {
                return Err(bad(format!("{} units for {nv} variables", units.len())));
            }
            let m = match meta {
                Some(m) if m.variables == variables && m.nodes == nodes && m.units == units => {
                    m.clone()
                }
                _ => {
                    let mut m = SeriesMeta::new(variables, nodes, "");
                    m.units = units;
                    let m = Arc::new(m);
                    *meta = Some(m.clone());
                    m
                }
            };
            Ok(Payload::Series(Arc::new(Series {
                stamps,
                times_ms,
                data,
                meta: m,
            })))
        }
        ("spikes", PortType::Spikes) => {
            let senders: PyReadonlyArray1<u32> = t.get_item(1)?.extract()?;
            let times: PyReadonlyArray1<f64> = t.get_item(2)?.extract()?;
            let stamps: PyReadonlyArray1<u64> = t.get_item(3)?.extract()?;
            let s = Spikes {
                senders: senders.as_slice()?.to_vec(),
                times_ms: times.as_slice()?.to_vec(),
                stamps: stamps.as_slice()?.to_vec(),
            };
            if s.senders.len() != s.times_ms.len() || s.senders.len() != s.stamps.len() {
                return Err(bad("senders, times and stamps differ in length".into()));
            }
            Ok(Payload::Spikes(Arc::new(s)))
        }
        (w, ty) => Err(bad(format!("a {w} value for a port of type {ty}"))),
    }
}

impl Actor for PyActor {
    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        Python::attach(|py| {
            let c = PyDict::new(py);
            let r = (|| {
                c.set_item("name", &ctx.name)?;
                c.set_item("seed", ctx.seed)?;
                c.set_item("graph_seed", ctx.graph_seed)?;
                c.set_item("dt_ms", ctx.dt_ms)?;
                c.set_item("total_steps", ctx.total_steps)?;
                c.set_item("window_steps", ctx.window_steps)?;
                self.obj.call_method1(py, "_start", (c,))
            })();
            r.map(|_| ()).map_err(|e| self.failed(py, e))
        })
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        outputs: &mut Outputs,
    ) -> Result<(), ActorError> {
        Python::attach(|py| {
            let r = (|| -> PyResult<Vec<(&'static str, Payload)>> {
                let ins = PyDict::new(py);
                for (port, _) in &self.inputs {
                    match inputs.get(port) {
                        Some(Payload::Series(s)) => ins.set_item(*port, series_tuple(py, s)?)?,
                        Some(Payload::Spikes(s)) => ins.set_item(*port, spikes_tuple(py, s)?)?,
                        None => {}
                    }
                }
                let win = (w.index, w.start_step, w.n_steps, w.dt_ms);
                let outs = self.obj.call_method1(py, "_step", (win, ins))?;
                let outs = outs.bind(py);
                let mut res = vec![];
                for (port, ty) in self.outputs.clone() {
                    let Some(t) = outs.cast::<PyDict>()?.get_item(port)? else {
                        continue;
                    };
                    let mut meta = self.metas.get(port).cloned();
                    let p = payload(&t, port, ty, &mut meta)?;
                    if let Some(m) = meta {
                        self.metas.insert(port, m);
                    }
                    res.push((port, p));
                }
                Ok(res)
            })();
            match r {
                Ok(v) => {
                    for (port, p) in v {
                        outputs.set(port, p);
                    }
                    Ok(())
                }
                Err(e) => Err(self.failed(py, e)),
            }
        })
    }

    fn finish(&mut self, complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        Python::attach(|py| {
            self.obj
                .call_method1(py, "_finish", (complete,))
                .map(|_| vec![])
                .map_err(|e| self.failed(py, e))
        })
    }
}
