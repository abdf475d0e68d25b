//! Recordings kept in memory, handed to Python without a copy: each
//! recording's vectors become the memory of numpy arrays (`into_pyarray`
//! takes the vector as it is); the Python half makes xarray and pandas
//! objects of them (`brainstream/_results.py`), again without copying.

use brainstream::actors::memory_recorder::{lock, Recording, Shared};
use numpy::{IntoPyArray, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::embed::SpikeLabels;

/// A vector reserved for a whole run that stopped early holds more memory
/// than values: it is shrunk (one copy, of what was recorded) when more
/// than an eighth of it is unused.
fn fitted<T>(mut v: Vec<T>) -> Vec<T> {
    if v.capacity() - v.len() > v.len() / 8 + 1024 {
        v.shrink_to_fit();
    }
    v
}

/// One recorder's windows as a dict of arrays and labels; the recording is
/// emptied (its vectors move into the arrays).
pub fn recording<'py>(
    py: Python<'py>,
    shared: &Shared,
    labels: Option<&SpikeLabels>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut r = lock(shared);
    let rec: Recording = std::mem::take(&mut *r);
    drop(r);
    let d = PyDict::new(py);
    d.set_item("actor", &rec.actor)?;
    d.set_item("complete", rec.complete)?;
    d.set_item("windows", rec.windows)?;
    d.set_item("complete_ms", rec.complete_up_to_ms())?;
    d.set_item("dt_ms", rec.dt_ms)?;
    d.set_item("seed", rec.seed)?;
    d.set_item("graph", &rec.graph_text)?;
    match rec.series {
        Some(s) => {
            let (k, nv, nn) = (s.stamps.len(), s.variables.len(), s.nodes.len());
            let sd = PyDict::new(py);
            let data = fitted(s.data).into_pyarray(py).reshape([k, nv, nn, 1])?;
            sd.set_item("data", data)?;
            sd.set_item("time", fitted(s.times_ms).into_pyarray(py))?;
            sd.set_item("stamps", fitted(s.stamps).into_pyarray(py))?;
            sd.set_item("variables", s.variables)?;
            sd.set_item("nodes", s.nodes)?;
            sd.set_item("units", s.units)?;
            d.set_item("series", sd)?;
        }
        None => d.set_item("series", py.None())?,
    }
    match rec.spikes {
        Some(s) => {
            let sd = PyDict::new(py);
            if let Some(l) = labels {
                let (regions, pops) = l.codes(&s.senders);
                sd.set_item("region_codes", regions.into_pyarray(py))?;
                sd.set_item("regions", l.regions.clone())?;
                sd.set_item("population_codes", pops.into_pyarray(py))?;
                sd.set_item(
                    "populations",
                    l.populations
                        .iter()
                        .map(|p| p.0.clone())
                        .collect::<Vec<_>>(),
                )?;
            }
            sd.set_item("times", fitted(s.times_ms).into_pyarray(py))?;
            sd.set_item("senders", fitted(s.senders).into_pyarray(py))?;
            sd.set_item("stamps", fitted(s.stamps).into_pyarray(py))?;
            d.set_item("spikes", sd)?;
        }
        None => d.set_item("spikes", py.None())?,
    }
    Ok(d)
}
