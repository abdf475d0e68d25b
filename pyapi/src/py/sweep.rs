//! `sweep`: a sweep file (with overrides, or a sweep given as a dict) run
//! by the library's sweep engine; its table comes back as an array, one
//! row per finished combination.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use brainstream::runtime::graph::load::apply_override;
use brainstream::runtime::Cancel;
use brainstream::sweep::output::RowLog;
use brainstream::sweep::{run_sweep_until, Backend, Plan, SweepError, SweepOptions};
use numpy::{IntoPyArray, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::errors::{runtime_error, sweep_error};
use super::wait;

/// The sweep file the plan is loaded from: the file itself, or (with
/// overrides, or for a sweep given as text) a rewritten copy in `tmp`
/// whose `graph` is absolute.
fn sweep_file(
    path: Option<&Path>,
    text: Option<&str>,
    overrides: &[String],
    tmp: &Path,
) -> Result<PathBuf, String> {
    let (mut table, dir): (toml::Table, PathBuf) = match (path, text) {
        (Some(p), None) if overrides.is_empty() => return Ok(p.to_path_buf()),
        (Some(p), None) => {
            let t = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let table = toml::from_str(&t).map_err(|e| format!("{}: {e}", p.display()))?;
            (table, p.parent().unwrap_or(Path::new(".")).to_path_buf())
        }
        (None, Some(t)) => {
            let v: serde_json::Value = serde_json::from_str(t).map_err(|e| e.to_string())?;
            let table = match toml::Value::try_from(v).map_err(|e| e.to_string())? {
                toml::Value::Table(t) => t,
                _ => return Err("a sweep is a dict of the sweep file's keys".into()),
            };
            (table, PathBuf::from("."))
        }
        _ => return Err("give a path or a dict".into()),
    };
    for o in overrides {
        apply_override(&mut table, o).map_err(|e| e.to_string())?;
    }
    if let Some(toml::Value::String(g)) = table.get("graph") {
        let abs = std::path::absolute(dir.join(g)).map_err(|e| e.to_string())?;
        table.insert(
            "graph".into(),
            toml::Value::String(abs.display().to_string()),
        );
    }
    let file = tmp.join("sweep.toml");
    std::fs::write(&file, toml::to_string(&table).map_err(|e| e.to_string())?)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(file)
}

/// Runs a sweep. Returns (columns, combination indices, rows, summary or
/// None, exception or None): the rows of every finished combination come
/// back with an exception too.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, overrides=vec![], out=None, threads=0, backend="auto", progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn sweep<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    overrides: Vec<String>,
    out: Option<PathBuf>,
    threads: usize,
    backend: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let err_class = |name: &str, msg: String| -> PyResult<PyErr> {
        Ok(PyErr::from_value(
            py.import("brainstream._errors")?
                .getattr(name)?
                .call1((msg,))?,
        ))
    };
    let backend: Backend = backend
        .parse()
        .map_err(pyo3::exceptions::PyValueError::new_err)?;
    let tmp = tempfile::tempdir()
        .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("temporary folder: {e}")))?;
    // `graph.KEY=VALUE` overrides the sweep's graph (as `brainstream sweep
    // --set`): handed to the plan; the others rewrite the sweep file
    let (graph_sets, overrides): (Vec<String>, Vec<String>) = overrides
        .into_iter()
        .partition(|o| o.trim_start().starts_with("graph."));
    let file = match sweep_file(path.as_deref(), text.as_deref(), &overrides, tmp.path()) {
        Ok(f) => f,
        Err(m) => return Err(err_class("SweepError", m)?),
    };
    // messages name the user's file (or say the sweep was given as a dict)
    let shown = |p: &Path| -> String {
        if p == file && (text.is_some() || !overrides.is_empty()) {
            match &path {
                Some(orig) => format!("{} (with set)", orig.display()),
                None => "<sweep dict>".to_string(),
            }
        } else {
            p.display().to_string()
        }
    };
    let registry = brainstream::default_registry();
    let plan = py
        .detach(|| Plan::load_with(&file, &registry, &graph_sets))
        .map_err(|e| match sweep_error(py, &e, &shown) {
            Ok(v) => PyErr::from_value(v),
            Err(e) => e,
        })?;
    let out_tmp =
        match &out {
            Some(_) => None,
            None => Some(tempfile::tempdir().map_err(|e| {
                pyo3::exceptions::PyOSError::new_err(format!("temporary folder: {e}"))
            })?),
        };
    let out_dir = out
        .clone()
        .or_else(|| out_tmp.as_ref().map(|t| t.path().to_path_buf()))
        .unwrap_or_default();
    let opts = SweepOptions {
        out_dir: out_dir.clone(),
        threads,
        backend,
        shard: None,
    };
    let cancel = Arc::new(Cancel::new());
    let done = Arc::new(AtomicUsize::new(0));
    let diverged = Arc::new(AtomicUsize::new(0));
    let total = plan.points.len();
    let (d2, v2) = (done.clone(), diverged.clone());
    let plan_ref = &plan;
    let c2 = cancel.clone();
    let (result, stopped_by) = wait::run(
        py,
        &cancel,
        move || {
            run_sweep_until(plan_ref, &opts, &c2, |p| {
                d2.store(p.done, Ordering::Relaxed);
                v2.store(p.diverged, Ordering::Relaxed);
            })
        },
        |py| match &progress {
            Some(cb) => cb
                .call1(
                    py,
                    (
                        done.load(Ordering::Relaxed),
                        total,
                        diverged.load(Ordering::Relaxed),
                    ),
                )
                .map(|_| ()),
            None => Ok(()),
        },
    );
    // every finished combination, from the durable log
    let rows = match RowLog::open(&out_dir, &plan) {
        Ok((_, rows)) => rows,
        Err(_) => Default::default(),
    };
    let columns = plan.columns();
    let index: Vec<u64> = rows.keys().map(|&k| k as u64).collect();
    let mut flat = Vec::with_capacity(rows.len() * columns.len());
    for r in rows.values() {
        flat.extend_from_slice(r);
    }
    let table = flat
        .into_pyarray(py)
        .reshape([index.len(), columns.len()])?;
    let (summary, error) = match result {
        Err(panic) => (
            py.None().into_bound(py),
            pyo3::exceptions::PyRuntimeError::new_err(format!("the sweep panicked: {panic}"))
                .into_value(py)
                .into_bound(py)
                .into_any(),
        ),
        Ok(Ok(s)) => {
            let d = PyDict::new(py);
            d.set_item("combinations", s.combinations)?;
            d.set_item("ran", s.ran)?;
            d.set_item("diverged", s.diverged)?;
            d.set_item("threads", s.threads)?;
            d.set_item("backend", s.backend)?;
            d.set_item("wall_s", s.wall_s)?;
            if out.is_some() {
                d.set_item(
                    "files",
                    s.files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>(),
                )?;
            }
            (d.into_any(), py.None().into_bound(py))
        }
        Ok(Err(e)) => {
            let e = match (&e, &out) {
                // nothing to continue from: the rows were in a temporary folder
                (SweepError::Stopped { done, total, .. }, None) => py
                    .import("brainstream._errors")?
                    .getattr("Interrupted")?
                    .call(
                        (format!(
                            "stopped by {} with {done} of {total} combinations done (their rows are in the table)",
                            cancel.taken().unwrap_or_default()
                        ),),
                        Some(&{
                            let kw = PyDict::new(py);
                            kw.set_item("done", done)?;
                            kw.set_item("total", total)?;
                            kw
                        }),
                    )?,
                (SweepError::Graph(g), _) => runtime_error(py, g, None)?,
                _ => sweep_error(py, &e, &shown)?,
            };
            if let Some(c) = stopped_by
                .filter(|e| !e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py))
            {
                e.setattr("__cause__", c.into_value(py))?;
            }
            (py.None().into_bound(py), e)
        }
    };
    drop(out_tmp);
    PyTuple::new(
        py,
        [
            columns.into_pyobject(py)?.into_any(),
            index.into_pyarray(py).into_any(),
            table.into_any(),
            summary,
            error,
        ],
    )
}
