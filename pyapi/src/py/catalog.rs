//! What `brainstream list` prints, as data: actor kinds with their ports
//! and parameters, models, couplings, integrators.

use brainstream::models::coupling::COUPLINGS;
use brainstream::models::integrator::INTEGRATORS;
use brainstream::models::{ParamDef, MODELS};
use brainstream::runtime::params::DefaultValue;
use brainstream::runtime::PortDecl;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

fn ports<'py>(py: Python<'py>, list: &[PortDecl]) -> PyResult<Bound<'py, PyList>> {
    let l = PyList::empty(py);
    for p in list {
        let d = PyDict::new(py);
        d.set_item("name", p.name)?;
        d.set_item("type", p.ty.to_string())?;
        d.set_item("doc", p.doc)?;
        l.append(d)?;
    }
    Ok(l)
}

/// Every actor kind: name, doc, inputs, outputs, parameters (name, type,
/// default — None when optional, "required" when required —, unit, range,
/// doc).
#[pyfunction]
pub fn kinds(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let l = PyList::empty(py);
    for k in brainstream::default_registry().kinds() {
        let d = PyDict::new(py);
        d.set_item("name", k.name)?;
        d.set_item("doc", k.doc)?;
        d.set_item("inputs", ports(py, k.inputs)?)?;
        d.set_item("outputs", ports(py, k.outputs)?)?;
        let params = PyList::empty(py);
        for p in k.params {
            let pd = PyDict::new(py);
            pd.set_item("name", p.name)?;
            pd.set_item("type", p.ty.to_string())?;
            match p.default {
                DefaultValue::Required => pd.set_item("default", "required")?,
                DefaultValue::Optional => pd.set_item("default", py.None())?,
                DefaultValue::Float(v) => pd.set_item("default", v)?,
                DefaultValue::Int(v) => pd.set_item("default", v)?,
                DefaultValue::Bool(v) => pd.set_item("default", v)?,
                DefaultValue::Str(v) => pd.set_item("default", v)?,
            }
            pd.set_item("required", p.default == DefaultValue::Required)?;
            pd.set_item("unit", p.unit)?;
            pd.set_item("range", p.range)?;
            pd.set_item("doc", p.doc)?;
            params.append(pd)?;
        }
        d.set_item("params", params)?;
        l.append(d)?;
    }
    Ok(l)
}

fn param_defs<'py>(py: Python<'py>, list: &[ParamDef]) -> PyResult<Bound<'py, PyList>> {
    let l = PyList::empty(py);
    for p in list {
        let d = PyDict::new(py);
        d.set_item("name", p.name)?;
        if p.is_vector() {
            d.set_item("default", p.default_values().to_vec())?;
        } else {
            d.set_item("default", p.default)?;
        }
        d.set_item("unit", p.unit)?;
        d.set_item("range", (p.lo, p.hi))?;
        d.set_item("doc", p.doc)?;
        l.append(d)?;
    }
    Ok(l)
}

/// Every built-in neural mass model: name, doc, state variables, coupled
/// variables, variables of interest, parameters.
#[pyfunction]
pub fn models(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let l = PyList::empty(py);
    for m in MODELS {
        let d = PyDict::new(py);
        d.set_item("name", m.name)?;
        d.set_item("doc", m.doc)?;
        d.set_item("state_variables", m.state_variables.to_vec())?;
        d.set_item(
            "coupled_variables",
            m.cvar
                .iter()
                .map(|&i| m.state_variables[i])
                .collect::<Vec<_>>(),
        )?;
        d.set_item("variables_of_interest", m.voi.to_vec())?;
        d.set_item("units", m.units.to_vec())?;
        d.set_item("params", param_defs(py, m.params)?)?;
        l.append(d)?;
    }
    Ok(l)
}

/// Every coupling function: name, doc, parameters.
#[pyfunction]
pub fn couplings(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let l = PyList::empty(py);
    for c in COUPLINGS {
        let d = PyDict::new(py);
        d.set_item("name", c.name)?;
        d.set_item("doc", c.doc)?;
        d.set_item("params", param_defs(py, c.params)?)?;
        l.append(d)?;
    }
    Ok(l)
}

/// Every integrator: name and whether it is stochastic.
#[pyfunction]
pub fn integrators(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let l = PyList::empty(py);
    for (name, _, stochastic) in INTEGRATORS {
        let d = PyDict::new(py);
        d.set_item("name", *name)?;
        d.set_item("stochastic", *stochastic)?;
        l.append(d)?;
    }
    Ok(l)
}

/// A built-in model's declaration, as `brainstream model show` prints it.
#[pyfunction]
pub fn model_source(name: &str) -> PyResult<&'static str> {
    MODELS
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.source)
        .ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!(
                "no built-in model `{name}` (models: {})",
                MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
            ))
        })
}
