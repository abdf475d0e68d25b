//! The library's errors as the package's exceptions (defined in Python, in
//! `brainstream/_errors.py`): `GraphError` with every located problem,
//! `RunError` naming the actor and window, `Interrupted` (a
//! `KeyboardInterrupt`) saying how far the results go, `SweepError`.

use brainstream::runtime::RuntimeError;
use brainstream::sweep::SweepError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("brainstream._errors")?.getattr(name)
}

/// One located problem as the dict `brainstream.Issue` is made from.
fn issue<'py>(
    py: Python<'py>,
    file: Option<String>,
    line_col: Option<(usize, usize)>,
    path: &str,
    message: &str,
    hint: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("file", file)?;
    d.set_item("line", line_col.map(|l| l.0))?;
    d.set_item("column", line_col.map(|l| l.1))?;
    d.set_item("path", path)?;
    d.set_item("message", message)?;
    d.set_item("hint", hint)?;
    Ok(d)
}

/// A `GraphError` instance for a graph that cannot be read or is invalid;
/// None for the errors of a run.
fn graph_error<'py>(py: Python<'py>, e: &RuntimeError) -> PyResult<Option<Bound<'py, PyAny>>> {
    let issues = PyList::empty(py);
    match e {
        RuntimeError::Invalid(list) => {
            for i in list {
                issues.append(issue(
                    py,
                    Some(i.file.display().to_string()),
                    i.line_col,
                    &i.path,
                    &i.message,
                    i.hint.as_deref(),
                )?)?;
            }
        }
        RuntimeError::Io { path, source } => {
            issues.append(issue(
                py,
                Some(path.display().to_string()),
                None,
                "",
                &format!("cannot read graph file: {source}"),
                None,
            )?)?;
        }
        RuntimeError::Override { arg, message } => {
            let key = arg.split_once('=').map_or(arg.as_str(), |k| k.0);
            issues.append(issue(py, None, None, key, message, None)?)?;
        }
        _ => return Ok(None),
    }
    Ok(Some(
        class(py, "GraphError")?.call1((e.to_string(), issues))?,
    ))
}

/// The exception for any error of loading, validating or running a graph.
/// `stopped_note`: what the results in memory hold, for a run stopped from
/// outside that wrote no files (the runtime's message names its files).
pub fn runtime_error<'py>(
    py: Python<'py>,
    e: &RuntimeError,
    stopped_note: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(g) = graph_error(py, e)? {
        return Ok(g);
    }
    let kw = PyDict::new(py);
    match e {
        RuntimeError::ActorFailed {
            actor,
            window,
            time_ms,
            ..
        } => {
            kw.set_item("actor", actor)?;
            kw.set_item("window", window)?;
            kw.set_item("time_ms", time_ms)?;
            class(py, "RunError")?.call((e.to_string(),), Some(&kw))
        }
        RuntimeError::Stopped {
            cause,
            window,
            time_ms,
            complete_ms,
            ..
        } => {
            let msg = match stopped_note {
                Some(note) => format!(
                    "stopped by {cause} in window {window} (t = {} ms); {note}",
                    (time_ms * 1e6).round() / 1e6
                ),
                None => e.to_string(),
            };
            kw.set_item("window", window)?;
            kw.set_item("time_ms", time_ms)?;
            kw.set_item("complete_ms", complete_ms)?;
            class(py, "Interrupted")?.call((msg,), Some(&kw))
        }
        _ => class(py, "RunError")?.call1((e.to_string(),)),
    }
}

/// The exception for a sweep's error.
pub fn sweep_error<'py>(
    py: Python<'py>,
    e: &SweepError,
    file_shown: &dyn Fn(&std::path::Path) -> String,
) -> PyResult<Bound<'py, PyAny>> {
    let kw = PyDict::new(py);
    match e {
        SweepError::Graph(g) => runtime_error(py, g, None),
        SweepError::Invalid {
            path,
            at,
            key,
            cause,
            hint,
        } => {
            let file = file_shown(path);
            let mut msg = file.clone();
            if let Some((l, c)) = at {
                msg.push_str(&format!(":{l}:{c}"));
            }
            if !key.is_empty() {
                msg.push_str(&format!(": {key}"));
            }
            msg.push_str(&format!(": {cause}"));
            if let Some(h) = hint {
                msg.push_str(&format!("\n  hint: {h}"));
            }
            kw.set_item("file", file)?;
            kw.set_item("line", at.map(|a| a.0))?;
            kw.set_item("column", at.map(|a| a.1))?;
            kw.set_item("key", key)?;
            kw.set_item("hint", hint)?;
            class(py, "SweepError")?.call((msg,), Some(&kw))
        }
        SweepError::File { path, cause } => {
            let file = file_shown(path);
            kw.set_item("file", &file)?;
            class(py, "SweepError")?.call((format!("{file}: {cause}"),), Some(&kw))
        }
        SweepError::Stopped { done, total, .. } => {
            kw.set_item("done", done)?;
            kw.set_item("total", total)?;
            class(py, "Interrupted")?.call((e.to_string(),), Some(&kw))
        }
        _ => class(py, "SweepError")?.call1((e.to_string(),)),
    }
}
