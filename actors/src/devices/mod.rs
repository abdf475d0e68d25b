//! Devices, NEST's names and semantics: sources of spikes and currents, and
//! the spike repeater `parrot_neuron`.

pub mod inhomogeneous_poisson_generator;
pub mod parrot_neuron;
pub mod poisson_generator;
pub mod spike_generator;
pub mod step_current_generator;

use brainstream_runtime::{BuildError, Params};

/// `t` in steps of `dt`, or an error naming `key` if it is not a multiple.
pub(crate) fn on_grid(key: &str, t: f64, dt: f64) -> Result<u64, BuildError> {
    let steps = t / dt;
    let r = steps.round();
    if !t.is_finite() || t < 0.0 || (steps - r).abs() > 1e-6 * r.max(1.0) {
        return Err(BuildError::at(
            key,
            format!("{t} ms is not a multiple of dt = {dt} ms"),
        ));
    }
    Ok(r as u64)
}

/// A piecewise constant schedule from the lists `times_key` (ms, strictly
/// ascending multiples of dt) and `values_key` (one value per time), read
/// from the actor's parameters: (first step, value) pairs.
pub(crate) fn schedule(
    p: &Params,
    times_key: &str,
    values_key: &str,
    dt: f64,
) -> Result<Vec<(u64, f64)>, BuildError> {
    let times = p.f64_list(times_key)?.unwrap_or_default();
    let values = p.f64_list(values_key)?.unwrap_or_default();
    if times.len() != values.len() {
        return Err(BuildError::at(
            values_key,
            format!("{} values for {} times", values.len(), times.len()),
        )
        .hint(format!("give one value per time in `{times_key}`")));
    }
    let mut changes: Vec<(u64, f64)> = vec![];
    for (i, (&t, &v)) in times.iter().zip(&values).enumerate() {
        let k = on_grid(&format!("{times_key}[{i}]"), t, dt)?;
        if changes.last().is_some_and(|&(prev, _)| k <= prev) {
            return Err(BuildError::at(
                format!("{times_key}[{i}]"),
                "times must be strictly ascending",
            ));
        }
        changes.push((k, v));
    }
    Ok(changes)
}
