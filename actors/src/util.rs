//! Small helpers shared by actor kinds.

use brainstream_runtime::{ActorError, BuildError, Inputs, Params, Series, Spikes};

/// The series on `port`, if one arrived.
pub fn series<'a>(inputs: &'a Inputs, port: &str) -> Result<Option<&'a Series>, ActorError> {
    match inputs.get(port) {
        None => Ok(None),
        Some(p) => p
            .as_series()
            .map(Some)
            .ok_or_else(|| ActorError::new(format!("port `{port}` expected a series"))),
    }
}

/// The spikes on `port`, if any arrived.
pub fn spikes<'a>(inputs: &'a Inputs, port: &str) -> Result<Option<&'a Spikes>, ActorError> {
    match inputs.get(port) {
        None => Ok(None),
        Some(p) => p
            .as_spikes()
            .map(Some)
            .ok_or_else(|| ActorError::new(format!("port `{port}` expected spikes"))),
    }
}

/// Checks that a series has one sample per step, consecutively from the
/// previous one (`last` is the previous stamp, updated).
pub fn check_consecutive(s: &Series, last: &mut Option<u64>, who: &str) -> Result<(), ActorError> {
    for &k in &s.stamps {
        if let Some(l) = *last {
            if k != l + 1 {
                return Err(ActorError::new(format!(
                    "{who} needs one sample per integration step, got step {k} after step {l}; connect it to a raw state output"
                )));
            }
        }
        *last = Some(k);
    }
    Ok(())
}

/// The most neurons one spiking actor may hold (all regions and
/// populations together): 10^8. Neuron ids are `u32`; memory is checked
/// against the machine by validation.
pub const MAX_NEURONS: usize = 100_000_000;

/// Population (name, size) pairs, in name order.
pub type Populations = Vec<(String, usize)>;

/// The `regions` list and `populations` table shared by the spiking kinds:
/// region labels and (name, size) pairs in the table's (name) order, each
/// size an integer > 0.
pub fn regions_and_populations(p: &Params) -> Result<(Vec<String>, Populations), BuildError> {
    let regions = p.str_list("regions")?.unwrap_or_default();
    if regions.is_empty() {
        return Err(BuildError::at("regions", "no region listed"));
    }
    let table = p
        .table("populations")?
        .ok_or_else(|| BuildError::at("", "missing `populations`"))?;
    let mut pops = vec![];
    for (name, v) in table {
        match v {
            toml::Value::Integer(i) if *i > 0 => pops.push((name.clone(), *i as usize)),
            _ => {
                return Err(BuildError::at(
                    format!("populations.{name}"),
                    format!("expected a size > 0, got {v}"),
                ))
            }
        }
    }
    if pops.is_empty() {
        return Err(BuildError::at("populations", "no population"));
    }
    let per_region = pops.iter().try_fold(0usize, |a, p| a.checked_add(p.1));
    let total = per_region.and_then(|n| n.checked_mul(regions.len()));
    if total.is_none_or(|n| n > MAX_NEURONS) {
        return Err(BuildError::at(
            "populations",
            format!(
                "{} regions of {} neurons are more than the {MAX_NEURONS} neurons one actor may hold",
                regions.len(),
                per_region.map_or("over 2^64".to_string(), |n| n.to_string())
            ),
        )
        .hint("split the network over several actors, or make the populations smaller"));
    }
    Ok((regions, pops))
}
