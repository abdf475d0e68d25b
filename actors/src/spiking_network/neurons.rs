//! The neurons of every population: the model (`model`), its solver
//! (`solver`) and parameters — NEST's defaults, then `neuron_params` for
//! all populations, then `population_params.<population>` for one, then
//! `region_params.<region>.<population>` for one population in one region
//! (tvb-multiscale's builders take a population's `params` per region
//! node):
//!
//! ```toml
//! neuron_params = { I_e = 0.0 }
//! population_params = { I = { tau_m = 5.0, t_ref = 1.0 } }
//! region_params = { rM1 = { E = { I_e = 10.0 } } }
//! ```
//!
//! A vector parameter (gif_cond_exp's `tau_stc`, `q_stc`, `tau_sfa`,
//! `q_sfa`, NEST's lists) takes a list of up to its length; the elements
//! left out keep their defaults.
//!
//! Every model also takes `tau_minus` (ms, NEST's default 20): the time
//! constant of the postsynaptic trace the `stdp_synapse`s onto its neurons
//! read (NEST's `ArchivingNode`), kept by the network, not the neuron.

use brainstream_models::params::ParamSet;
use brainstream_models::spiking::stdp::TAU_MINUS;
use brainstream_models::spiking::{Neuron, NeuronInfo, NEURONS};
use brainstream_models::ModelError;
use brainstream_runtime::{BuildError, Params, TableValue};

/// A parameter's value in a table.
enum Value {
    Number(f64),
    /// a vector parameter's first elements (NEST's lists, e.g.
    /// gif_cond_exp's `q_sfa`); the rest keep their defaults
    List(Vec<f64>),
}

/// Sets `name` in `params`: a number, or the first elements of a vector
/// parameter (a list no longer than the vector).
fn set(params: &mut ParamSet, model: &str, name: &str, v: Value) -> Result<(), ModelError> {
    match v {
        Value::Number(x) => params.set(model, name, x),
        Value::List(l) => {
            let Some(d) = params.defs().iter().find(|d| d.name == name) else {
                // unknown: the scalar path names it
                return params.set(model, name, f64::NAN);
            };
            if !d.is_vector() {
                return Err(ModelError::Config(format!(
                    "{model}.{name} is a number, not a list"
                )));
            }
            if l.is_empty() || l.len() > d.len {
                return Err(ModelError::Config(format!(
                    "{model}.{name} takes a list of 1 to {} values, {} given",
                    d.len,
                    l.len()
                )));
            }
            for (k, x) in l.iter().enumerate() {
                params.set(model, &format!("{name}[{k}]"), *x)?;
            }
            Ok(())
        }
    }
}

/// `e` located at the parameter it names under `at`, else at `at`.
fn located(at: &str, e: ModelError) -> BuildError {
    match &e {
        ModelError::UnknownParameter { name, .. }
        | ModelError::ParameterOutOfRange { name, .. } => {
            BuildError::at(format!("{at}.{name}"), e.to_string())
        }
        _ => BuildError::at(at, e.to_string()),
    }
}

/// Sets the parameters of `table` (a table of numbers or lists of numbers,
/// at `at`, e.g. `population_params.I`) in `params`, `tau_minus` left out
/// (the network keeps it, [`tau_minus`]).
fn apply_table(
    params: &mut ParamSet,
    model: &str,
    at: &str,
    table: &toml::Value,
) -> Result<(), BuildError> {
    let toml::Value::Table(table) = table else {
        return Err(BuildError::at(
            at,
            format!("expected a table of parameters, e.g. {{ tau_m = 5.0 }}, got {table}"),
        ));
    };
    for (k, v) in table.iter().filter(|(k, _)| k.as_str() != TAU_MINUS.name) {
        let num = |x: &toml::Value| match x {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => None,
        };
        let x = match v {
            toml::Value::Array(a) => Value::List(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| {
                        num(x).ok_or_else(|| {
                            BuildError::at(
                                format!("{at}.{k}[{i}]"),
                                format!("expected a number, got {x}"),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => Value::Number(num(v).ok_or_else(|| {
                BuildError::at(format!("{at}.{k}"), format!("expected a number, got {v}"))
            })?),
        };
        set(params, model, k, x).map_err(|e| located(at, e))?;
    }
    Ok(())
}

/// One template neuron per (region, population), region-major, where
/// `region_params.<region>.<population>` sets parameters over the
/// population's own (`sets`, from [`templates`]); `None` where it sets
/// none (the population's template holds). Refuses a region or population
/// the network does not have, and `tau_minus` (one per population).
pub(super) fn region_templates(
    p: &Params,
    info: &'static NeuronInfo,
    dt_ms: f64,
    regions: &[String],
    pops: &[(String, usize)],
    sets: &[ParamSet],
) -> Result<Vec<Option<Box<dyn Neuron>>>, BuildError> {
    let np = pops.len();
    let mut out: Vec<Option<Box<dyn Neuron>>> = (0..regions.len() * np).map(|_| None).collect();
    let Some(by_region) = p.table("region_params")? else {
        return Ok(out);
    };
    let solver = p.str("solver")?;
    for (region, by_pop) in by_region {
        let Some(r) = regions.iter().position(|x| x == region) else {
            return Err(BuildError::at(
                format!("region_params.{region}"),
                format!("no region `{region}` in this network"),
            )
            .hint(format!("regions: {}", regions.join(", "))));
        };
        let toml::Value::Table(by_pop) = by_pop else {
            return Err(BuildError::at(
                format!("region_params.{region}"),
                format!(
                    "expected a table of populations, e.g. {{ E = {{ I_e = 10.0 }} }}, got {by_pop}"
                ),
            ));
        };
        for (pop, table) in by_pop {
            let at = format!("region_params.{region}.{pop}");
            let Some(k) = pops.iter().position(|(n, _)| n == pop) else {
                return Err(
                    BuildError::at(at, format!("no population `{pop}`")).hint(format!(
                        "populations: {}",
                        pops.iter()
                            .map(|p| p.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            };
            if let toml::Value::Table(t) = table {
                if t.contains_key(TAU_MINUS.name) {
                    return Err(BuildError::at(
                        format!("{at}.{}", TAU_MINUS.name),
                        "the STDP trace's τ₋ is one per population, not per region",
                    )
                    .hint(format!("set population_params.{pop}.{}", TAU_MINUS.name)));
                }
            }
            let mut params = sets[k].clone();
            apply_table(&mut params, info.name, &at, table)?;
            out[r * np + k] = Some(
                (info.build)(1, &params, dt_ms, &solver)
                    .map_err(|e| BuildError::at(at, e.to_string()))?,
            );
        }
    }
    Ok(out)
}

/// The model's default solver, NEST's integration.
const DEFAULT_SOLVER: &str = "rkf45";

/// One template neuron per population, and the parameters of each.
type Templates = (Vec<Box<dyn Neuron>>, Vec<ParamSet>);

/// One template neuron per population (in `pops` order), with its
/// parameters, for a network of step `dt_ms`; and the parameters of each.
pub(super) fn templates(
    p: &Params,
    info: &'static NeuronInfo,
    dt_ms: f64,
    pops: &[(String, usize)],
) -> Result<Templates, BuildError> {
    let model = info.name;
    let solver = p.str("solver")?;
    if solver != DEFAULT_SOLVER && !info.solvers.contains(&solver.as_str()) {
        let having: Vec<&str> = NEURONS
            .iter()
            .filter(|n| n.solvers.contains(&solver.as_str()))
            .map(|n| n.name)
            .collect();
        return Err(if having.is_empty() {
            let mut all: Vec<&str> = NEURONS
                .iter()
                .flat_map(|n| n.solvers.iter().copied())
                .collect();
            all.retain(|s| *s != DEFAULT_SOLVER);
            all.dedup();
            BuildError::at("solver", format!("unknown solver `{solver}`")).hint(format!(
                "{DEFAULT_SOLVER} (NEST's, the default) or {}",
                all.join(", ")
            ))
        } else {
            BuildError::at(
                "solver",
                format!(
                    "solver `{solver}` is for {} only, not {model}",
                    having.join(", ")
                ),
            )
            .hint("leave `solver` out (NEST's RKF45) for this model")
        });
    }
    let mut common = ParamSet::defaults(info.params);
    for (k, v) in p.value_table("neuron_params")? {
        if k == TAU_MINUS.name {
            continue;
        }
        let x = match v {
            TableValue::Number(x) => Value::Number(x),
            TableValue::List(l) => Value::List(l),
            TableValue::Table(_) => {
                return Err(BuildError::at(
                    format!("neuron_params.{k}"),
                    "expected a number or a list of numbers, got a table",
                ))
            }
        };
        set(&mut common, model, &k, x).map_err(|e| located("neuron_params", e))?;
    }
    let own = p.table("population_params")?;
    if let Some(t) = own {
        for name in t.keys() {
            if !pops.iter().any(|(n, _)| n == name) {
                return Err(BuildError::at(
                    format!("population_params.{name}"),
                    format!("no population `{name}`"),
                )
                .hint(format!(
                    "populations: {}",
                    pops.iter()
                        .map(|p| p.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let mut shared: Option<Box<dyn Neuron>> = None;
    let mut out = vec![];
    let mut sets = vec![];
    for (name, _) in pops {
        let Some(table) = own.and_then(|t| t.get(name)) else {
            if shared.is_none() {
                shared = Some(
                    (info.build)(1, &common, dt_ms, &solver)
                        .map_err(|e| BuildError::at("neuron_params", e.to_string()))?,
                );
            }
            out.extend(shared.clone());
            sets.push(common.clone());
            continue;
        };
        let at = format!("population_params.{name}");
        let mut params = common.clone();
        apply_table(&mut params, model, &at, table)?;
        out.push(
            (info.build)(1, &params, dt_ms, &solver)
                .map_err(|e| BuildError::at(at, e.to_string()))?,
        );
        sets.push(params);
    }
    Ok((out, sets))
}

/// `tau_minus` (ms) of every population (in `pops` order): NEST's default,
/// then `neuron_params.tau_minus`, then `population_params.<population>.tau_minus`.
pub(super) fn tau_minus(p: &Params, pops: &[(String, usize)]) -> Result<Vec<f64>, BuildError> {
    let check = |at: String, v: &toml::Value| -> Result<f64, BuildError> {
        let x = match v {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            _ => return Err(BuildError::at(at, format!("expected a number, got {v}"))),
        };
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(BuildError::at(at, format!("{x} ms must be > 0")))
        }
    };
    let common = match p
        .table("neuron_params")?
        .and_then(|t| t.get(TAU_MINUS.name))
    {
        Some(v) => check(format!("neuron_params.{}", TAU_MINUS.name), v)?,
        None => TAU_MINUS.default,
    };
    let own = p.table("population_params")?;
    pops.iter()
        .map(|(name, _)| {
            match own
                .and_then(|t| t.get(name))
                .and_then(|t| t.as_table())
                .and_then(|t| t.get(TAU_MINUS.name))
            {
                Some(v) => check(format!("population_params.{name}.{}", TAU_MINUS.name), v),
                None => Ok(common),
            }
        })
        .collect()
}
