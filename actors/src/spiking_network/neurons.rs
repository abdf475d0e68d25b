//! The neurons of every population: the model (`model`), its solver
//! (`solver`) and parameters — NEST's defaults, then `neuron_params` for
//! all populations, then `population_params.<population>` for one:
//!
//! ```toml
//! neuron_params = { I_e = 0.0 }
//! population_params = { I = { tau_m = 5.0, t_ref = 1.0 } }
//! ```
//!
//! Every model also takes `tau_minus` (ms, NEST's default 20): the time
//! constant of the postsynaptic trace the `stdp_synapse`s onto its neurons
//! read (NEST's `ArchivingNode`), kept by the network, not the neuron.

use brainstream_models::params::ParamSet;
use brainstream_models::spiking::stdp::TAU_MINUS;
use brainstream_models::spiking::{Neuron, NeuronInfo, NEURONS};
use brainstream_models::ModelError;
use brainstream_runtime::{BuildError, Params};

/// The model's default solver, NEST's integration.
const DEFAULT_SOLVER: &str = "rkf45";

/// One template neuron per population (in `pops` order), with its
/// parameters, for a network of step `dt_ms`.
pub(super) fn templates(
    p: &Params,
    info: &'static NeuronInfo,
    dt_ms: f64,
    pops: &[(String, usize)],
) -> Result<Vec<Box<dyn Neuron>>, BuildError> {
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
    let located = |at: &str, e: ModelError| match &e {
        ModelError::UnknownParameter { name, .. }
        | ModelError::ParameterOutOfRange { name, .. } => {
            BuildError::at(format!("{at}.{name}"), e.to_string())
        }
        _ => BuildError::at(at, e.to_string()),
    };
    let all = p.number_table("neuron_params")?;
    let common = ParamSet::from_overrides(
        model,
        info.params,
        all.iter()
            .filter(|(k, _)| k.as_str() != TAU_MINUS.name)
            .map(|(k, v)| (k.as_str(), *v)),
    )
    .map_err(|e| located("neuron_params", e))?;
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
    for (name, _) in pops {
        let Some(table) = own.and_then(|t| t.get(name)) else {
            if shared.is_none() {
                shared = Some(
                    (info.build)(1, &common, dt_ms, &solver)
                        .map_err(|e| BuildError::at("neuron_params", e.to_string()))?,
                );
            }
            out.extend(shared.clone());
            continue;
        };
        let at = format!("population_params.{name}");
        let toml::Value::Table(table) = table else {
            return Err(BuildError::at(
                at,
                format!("expected a table of parameters, e.g. {{ tau_m = 5.0 }}, got {table}"),
            ));
        };
        let mut params = common.clone();
        for (k, v) in table.iter().filter(|(k, _)| k.as_str() != TAU_MINUS.name) {
            let x = match v {
                toml::Value::Float(f) => *f,
                toml::Value::Integer(i) => *i as f64,
                _ => {
                    return Err(BuildError::at(
                        format!("{at}.{k}"),
                        format!("expected a number, got {v}"),
                    ))
                }
            };
            params.set(model, k, x).map_err(|e| located(&at, e))?;
        }
        out.push(
            (info.build)(1, &params, dt_ms, &solver)
                .map_err(|e| BuildError::at(at, e.to_string()))?,
        );
    }
    Ok(out)
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
