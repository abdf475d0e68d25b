//! The extension module `brainstream._native`. The Python half of the
//! package (`pyapi/python/brainstream/`) wraps it: it turns what these
//! functions return (numpy arrays, lists, dicts) into xarray and pandas
//! objects and raises the exceptions they hand back.
//!
//! Every long call (validating, running, sweeping) releases the GIL; a run
//! or a sweep goes on in a thread of its own while the calling thread
//! waits, waking every 50 ms to look for signals (Ctrl-C) and to report
//! progress ([`wait`]).

mod actor;
mod catalog;
mod errors;
mod graph;
mod results;
mod sweep;
mod wait;

use pyo3::prelude::*;

/// brainstream's version.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<graph::NativeGraph>()?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(catalog::kinds, m)?)?;
    m.add_function(wrap_pyfunction!(catalog::models, m)?)?;
    m.add_function(wrap_pyfunction!(catalog::couplings, m)?)?;
    m.add_function(wrap_pyfunction!(catalog::integrators, m)?)?;
    m.add_function(wrap_pyfunction!(catalog::model_source, m)?)?;
    Ok(())
}
