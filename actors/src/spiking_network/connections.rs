//! The `connections` table list: every projection into a population, from
//! another population of the same region or from the spike trains of an
//! input port (a device: `spike_generator`, `poisson_generator`,
//! `parrot_neuron`, …), each with its own rule, weight (either sign),
//! delay and receptor, as NEST's `Connect(source, target, conn_spec,
//! syn_spec)`.
//!
//! ```toml
//! connections = [
//!   { from = "E", to = "I", rule = "fixed_indegree", indegree = 80, weight = 20.0, delay_ms = 1.5 },
//!   { from = "spikes_in_2", trains = [0], to = "E", weight = 120.0, delay_ms = 1.0 },
//!   { from = "spikes_in_2", trains = [1], to = "E", weight = -90.0, delay_ms = 2.5 },
//! ]
//! ```
//!
//! * `from`: a population, or an input port (`spikes_in` when no `input`
//!   table claims it, `spikes_in_2` … `spikes_in_4`); `trains` (port only):
//!   the senders of that port that are the sources, a list of indices or a
//!   count N (trains 0..N); default `[0]`.
//! * `rule` (default `all_to_all`, NEST's default): `one_to_one`,
//!   `fixed_indegree` (`indegree`), `fixed_outdegree` (`outdegree`),
//!   `pairwise_bernoulli` (`p`); autapses and multapses allowed.
//! * `weight` (pA or nS, the model's unit) and `delay_ms`: numbers or
//!   distributions. The weight's sign chooses the synapse as NEST does for
//!   the model (`receptor` 0 of the built-in models: > 0 excitatory, ≤ 0
//!   inhibitory; a conductance model takes the magnitude). From a port,
//!   `delay_ms` is NEST's delay counted from the device's spike, the graph
//!   edge's delay included (it must be longer than the edge's).
//! * `receptor` (default 0): NEST's `receptor_type`, checked against the
//!   model; `regions` (default all): the regions whose populations are
//!   connected.
//! * `synapse` (default static): `{ model = "tsodyks2_synapse", U, u, x,
//!   tau_rec, tau_fac }`, NEST's short-term plasticity, each synapse with
//!   its own (u, x) updated at its source's spike times and scaling the
//!   weight (`brainstream_models::spiking::tsodyks2`); or `{ model =
//!   "stdp_synapse", tau_plus, lambda, alpha, mu_plus, mu_minus, Wmax,
//!   Kplus }`, NEST's pair-based STDP, each synapse's
//!   weight changed by its source's and target's spikes (the target's
//!   `tau_minus` is a neuron parameter; `brainstream_models::spiking::stdp`).
//!   NEST's defaults for the keys left out. From a port, a spike's time is
//!   the device's, the edge's delay taken off (the time NEST's parrot or
//!   neuron sends it). A port's `stdp_synapse` is the network's external
//!   synapse (`Network::connect_external`): its spikes are queued when the
//!   window is scheduled and sent (the weight updated from the target's
//!   spikes archived by then) in the step they reach the network, since
//!   they read the target's spikes up to a delay before their time.

use std::collections::HashMap;

use brainstream_models::spiking::tsodyks2::{nest_ms, tics_per_step};
use brainstream_models::spiking::{
    stdp, synapse_info, Dist, Network, NeuronInfo, Population, Rule, Signs, Synapse, Tsodyks2,
    Tsodyks2State, SYNAPSES,
};
use brainstream_runtime::{ActorError, BuildError, Params, RunContext, Spikes, WindowInfo};
use rand::Rng;

use super::grid::Grid;
use super::{count, dist, num, only, text};

/// The spike input ports, in port order; `spikes_in` also takes the
/// proxy trains of the `input` table.
pub(super) const SPIKE_PORTS: [&str; 4] =
    ["spikes_in", "spikes_in_2", "spikes_in_3", "spikes_in_4"];

/// Where a projection's spikes come from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Source {
    /// A population of the same region.
    Population(usize),
    /// Trains (senders) of the input port `SPIKE_PORTS[port]`.
    Port { port: usize, trains: Vec<u32> },
}

/// One entry of `connections`.
#[derive(Debug, Clone)]
pub(super) struct Projection {
    /// `connections[k]`, for messages.
    pub at: String,
    pub from: Source,
    pub to: usize,
    /// region indices it applies to
    pub regions: Vec<usize>,
    pub rule: Rule,
    pub weight: Dist,
    pub delay_ms: Dist,
    /// `None`: static synapses
    pub synapse: Option<Synapse>,
    /// NEST's receptor_type of the targets
    pub receptor: usize,
}

impl Projection {
    /// Expected synapses in one region, `sizes` the population sizes.
    pub fn expected_synapses(&self, sizes: &[usize]) -> f64 {
        let n_src = match &self.from {
            Source::Population(p) => sizes[*p],
            Source::Port { trains, .. } => trains.len(),
        };
        self.rule.expected_synapses(n_src, sizes[self.to]) * self.regions.len() as f64
    }
}

/// What `parse` needs to know of the network.
pub(super) struct Context<'a> {
    pub params: &'a Params<'a>,
    pub model: &'static NeuronInfo,
    pub dt_ms: f64,
    pub pops: &'a [(String, usize)],
    pub regions: &'a [String],
    /// whether the `input` table claims `spikes_in`
    pub input_on_spikes_in: bool,
    pub pop_index: &'a dyn Fn(&str, String) -> Result<usize, BuildError>,
}

/// Parses `connections`.
pub(super) fn parse(c: &Context) -> Result<Vec<Projection>, BuildError> {
    let mut out = vec![];
    for (k, t) in c.params.tables("connections")?.into_iter().enumerate() {
        out.push(parse_one(c, t, &format!("connections[{k}]"))?);
    }
    Ok(out)
}

fn parse_one(c: &Context, t: &toml::Table, at: &str) -> Result<Projection, BuildError> {
    only(
        t,
        &[
            "from",
            "to",
            "rule",
            "indegree",
            "outdegree",
            "p",
            "weight",
            "delay_ms",
            "receptor",
            "trains",
            "regions",
            "synapse",
        ],
        at,
    )?;
    let from_name = text(t, "from", at)?;
    let is_pop = c.pops.iter().any(|p| p.0 == from_name);
    let port = SPIKE_PORTS.iter().position(|p| *p == from_name);
    let from = match (is_pop, port) {
        (true, Some(_)) => {
            return Err(BuildError::at(
                format!("{at}.from"),
                format!("`{from_name}` is both a population and an input port"),
            )
            .hint("rename the population"))
        }
        (true, None) => {
            if t.contains_key("trains") {
                return Err(BuildError::at(
                    format!("{at}.trains"),
                    "`trains` chooses the senders of an input port; this connection is from a population",
                ));
            }
            Source::Population((c.pop_index)(from_name, format!("{at}.from"))?)
        }
        (false, Some(port)) => {
            if port == 0 && c.input_on_spikes_in {
                return Err(BuildError::at(
                    format!("{at}.from"),
                    "spikes_in carries the proxy trains of the `input` table",
                )
                .hint("connect the device to spikes_in_2, spikes_in_3 or spikes_in_4"));
            }
            Source::Port {
                port,
                trains: trains(t, at)?,
            }
        }
        (false, None) => {
            return Err(BuildError::at(
                format!("{at}.from"),
                format!("no population or input port `{from_name}`"),
            )
            .hint(format!(
                "populations: {}; input ports: {}",
                c.pops
                    .iter()
                    .map(|p| p.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                SPIKE_PORTS.join(", ")
            )))
        }
    };
    let to = (c.pop_index)(text(t, "to", at)?, format!("{at}.to"))?;
    let rule = rule(t, at)?;
    let n_src = match &from {
        Source::Population(p) => c.pops[*p].1,
        Source::Port { trains, .. } => trains.len(),
    };
    if rule == Rule::OneToOne && n_src != c.pops[to].1 {
        return Err(BuildError::at(
            format!("{at}.rule"),
            format!(
                "one_to_one needs as many sources as targets: {n_src} sources, {} neurons in `{}`",
                c.pops[to].1, c.pops[to].0
            ),
        ));
    }
    let weight = dist(t, "weight", at)?;
    let delay_ms = dist(t, "delay_ms", at)?;
    if let Dist::Constant(d) = delay_ms {
        if d < c.dt_ms - 1e-12 {
            return Err(BuildError::at(
                format!("{at}.delay_ms"),
                format!("{d} ms is shorter than one step ({} ms)", c.dt_ms),
            ));
        }
    }
    let receptor = match t.get("receptor") {
        None => 0,
        Some(_) => count(t, "receptor", at)?,
    };
    check_receptor(c.model, receptor, &weight, at)?;
    let regions = match t.get("regions") {
        None => (0..c.regions.len()).collect(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let here = format!("{at}.regions[{i}]");
                let name = x
                    .as_str()
                    .ok_or_else(|| BuildError::at(here.clone(), "expected a region label"))?;
                c.regions.iter().position(|r| r == name).ok_or_else(|| {
                    BuildError::at(here, format!("no region `{name}` here"))
                        .hint(format!("regions: {}", c.regions.join(", ")))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => {
            return Err(BuildError::at(
                format!("{at}.regions"),
                format!("expected a list of region labels, got {v}"),
            ))
        }
    };
    let synapse = synapse(t, at)?;
    check_stdp_weight(&synapse, &weight, at)?;
    Ok(Projection {
        at: at.to_string(),
        from,
        to,
        regions,
        rule,
        weight,
        delay_ms,
        synapse,
        receptor,
    })
}

/// An `stdp_synapse`'s weights (`{at}.weight`) have the sign of its Wmax,
/// as NEST requires.
pub(super) fn check_stdp_weight(
    synapse: &Option<Synapse>,
    weight: &Dist,
    at: &str,
) -> Result<(), BuildError> {
    let Some(Synapse::Stdp(s)) = synapse else {
        return Ok(());
    };
    let ok = match *weight {
        Dist::Constant(w) => s.check_weight(w).is_ok(),
        Dist::Normal { mean, std } => std == 0.0 && s.check_weight(mean).is_ok(),
        Dist::Uniform { low, high } => s.check_weight(low).is_ok() && s.check_weight(high).is_ok(),
    };
    if ok {
        return Ok(());
    }
    Err(BuildError::at(
        format!("{at}.weight"),
        format!(
            "{weight:?} can have the sign opposite to the synapse's Wmax = {} ({} needs them of the same sign, as NEST)",
            s.w_max,
            stdp::NAME
        ),
    )
    .hint("an inhibitory stdp_synapse has Wmax < 0 and weights ≤ 0"))
}

/// `synapse`: absent or `{ model = "static_synapse" }` (None), or
/// `{ model = "tsodyks2_synapse" | "stdp_synapse", parameters }`, each
/// value checked at its key against NEST's ranges.
pub(super) fn synapse(t: &toml::Table, at: &str) -> Result<Option<Synapse>, BuildError> {
    let Some(v) = t.get("synapse") else {
        return Ok(None);
    };
    let here = format!("{at}.synapse");
    let toml::Value::Table(s) = v else {
        return Err(BuildError::at(
            here,
            format!("expected a table {{ model = \"tsodyks2_synapse\" | \"stdp_synapse\", parameters }}, got {v}"),
        ));
    };
    let name = text(s, "model", &here)?;
    if name == "static_synapse" {
        only(s, &["model"], &here)?;
        return Ok(None);
    }
    let Some(info) = synapse_info(name) else {
        return Err(BuildError::at(
            format!("{here}.model"),
            format!("unknown synapse model `{name}`"),
        )
        .hint(format!(
            "static_synapse (the default), {}",
            SYNAPSES
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let keys: Vec<&str> = std::iter::once("model")
        .chain(info.params.iter().map(|d| d.name))
        .collect();
    only(s, &keys, &here)?;
    let mut values = vec![];
    for d in info.params {
        if s.contains_key(d.name) {
            let v = num(s, d.name, &here)?;
            Synapse::from_overrides(name, [(d.name, v)])
                .map_err(|e| BuildError::at(format!("{here}.{}", d.name), e.to_string()))?;
            values.push((d.name, v));
        }
    }
    Synapse::from_overrides(name, values)
        .map(Some)
        .map_err(|e| BuildError::at(here, e.to_string()))
}

/// `trains`: a list of sender indices or a count N (0..N); default [0].
fn trains(t: &toml::Table, at: &str) -> Result<Vec<u32>, BuildError> {
    let here = format!("{at}.trains");
    let list = match t.get("trains") {
        None => vec![0],
        Some(toml::Value::Integer(n)) if (1..=u32::MAX as i64).contains(n) => {
            (0..*n as u32).collect()
        }
        Some(toml::Value::Array(a)) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, x)| match x.as_integer() {
                Some(v) if (0..=u32::MAX as i64).contains(&v) => Ok(v as u32),
                _ => Err(BuildError::at(
                    format!("{here}[{i}]"),
                    format!("expected a train index ≥ 0, got {x}"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => {
            return Err(BuildError::at(
                here,
                format!("expected a list of train indices or a count ≥ 1, got {v}"),
            ))
        }
    };
    let mut seen = list.clone();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(BuildError::at(
            here,
            format!("train {} is listed twice", w[0]),
        ));
    }
    Ok(list)
}

pub(super) fn rule(t: &toml::Table, at: &str) -> Result<Rule, BuildError> {
    let name = match t.get("rule") {
        None => "all_to_all",
        Some(_) => text(t, "rule", at)?,
    };
    Ok(match name {
        "all_to_all" => Rule::AllToAll,
        "one_to_one" => Rule::OneToOne,
        "fixed_indegree" => Rule::FixedIndegree(count(t, "indegree", at)?),
        "fixed_outdegree" => Rule::FixedOutdegree(count(t, "outdegree", at)?),
        "pairwise_bernoulli" => {
            let pr = num(t, "p", at)?;
            if !(0.0..=1.0).contains(&pr) {
                return Err(BuildError::at(
                    format!("{at}.p"),
                    format!("{pr} is outside [0, 1]"),
                ));
            }
            Rule::PairwiseBernoulli(pr)
        }
        other => {
            return Err(
                BuildError::at(format!("{at}.rule"), format!("unknown rule `{other}`")).hint(
                    "all_to_all, one_to_one, fixed_indegree, fixed_outdegree or pairwise_bernoulli",
                ),
            )
        }
    })
}

/// The receptor exists in the model and takes the weights `weight` can
/// give (NEST: UnknownReceptorType, and the refusal of negative weights on
/// receptors that take none).
pub(super) fn check_receptor(
    model: &NeuronInfo,
    receptor: usize,
    weight: &Dist,
    at: &str,
) -> Result<(), BuildError> {
    let Some(r) = model.receptor(receptor) else {
        let ids: Vec<usize> = model.receptors.iter().map(|r| r.id).collect();
        // a run of consecutive numbers as a range (iaf_cond_ww_deco has 1001)
        let ids = match ids.as_slice() {
            [a, .., b] if ids.len() > 3 && ids.windows(2).all(|w| w[1] == w[0] + 1) => {
                format!("{a}..={b}")
            }
            _ => ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        };
        return Err(BuildError::at(
            format!("{at}.receptor"),
            format!("{} has no receptor {receptor}", model.name),
        )
        .hint(format!(
            "its receptors: {}{}",
            ids,
            if model.receptors.len() == 1 {
                format!(" ({})", model.receptors[0].doc)
            } else {
                String::new()
            }
        )));
    };
    let can_be_negative = match *weight {
        Dist::Constant(w) => w < 0.0,
        Dist::Normal { std, mean } => std > 0.0 || mean < 0.0,
        Dist::Uniform { low, .. } => low < 0.0,
    };
    if r.signs == Signs::NonNegative && can_be_negative {
        return Err(BuildError::at(
            format!("{at}.weight"),
            format!(
                "receptor {receptor} of {} takes weights ≥ 0 only; {weight:?} can be negative",
                model.name
            ),
        )
        .hint("give a non-negative weight, or choose the receptor of the inhibitory synapse"));
    }
    Ok(())
}

/// A synapse from an input train.
#[derive(Debug, Clone, Copy)]
struct PortSynapse {
    neuron: u32,
    /// steps after the spike's stamp as seen past the edge
    delay: u32,
    weight: f64,
    /// a plastic synapse's parameters and state
    plastic: Option<PortPlastic>,
    /// NEST's receptor_type of the target
    receptor: usize,
}

/// A plastic synapse from an input train.
#[derive(Debug, Clone, Copy)]
enum PortPlastic {
    /// updated when its window is scheduled
    Tsodyks2(Tsodyks2, Tsodyks2State),
    /// the network's external synapse of that id, updated in the step it
    /// is sent (it reads the target's spikes)
    Stdp(u32),
}

/// The synapses of the input ports' trains, by port and sender.
#[derive(Debug, Default)]
pub(super) struct PortSynapses {
    ports: [HashMap<u32, Vec<PortSynapse>>; 4],
    longest: usize,
    /// per port: the edge's delay (fine steps), taken off a spike's stamp
    /// for its time at a plastic synapse
    edge: [u64; 4],
    /// NEST tics per fine step (set when a synapse is plastic)
    tics: u64,
}

impl PortSynapses {
    /// Draws the synapses of the port projections onto `pops` (region-major,
    /// `np` per region) on the network's grid (its step `grid.h`; an edge
    /// of D graph steps is D·r of its steps).
    pub fn wire(
        projections: &[Projection],
        ctx: &RunContext,
        grid: Grid,
        net: &mut Network,
        np: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, ActorError> {
        let pops: Vec<Population> = net.populations().to_vec();
        let mut me = Self::default();
        let dt = grid.h;
        for pr in projections {
            let Source::Port { port, trains } = &pr.from else {
                continue;
            };
            let edge = grid.steps(ctx.delays_into(SPIKE_PORTS[*port]).min().unwrap_or(0)) as i64;
            me.edge[*port] = edge as u64;
            if pr.synapse.is_some() {
                me.tics = tics_per_step(dt)
                    .map_err(|e| ActorError::new(format!("`{}`: {}: {e}", ctx.name, pr.at)))?;
            }
            let steps = |d: f64| (d / dt).round() as i64;
            if let Dist::Constant(d) = pr.delay_ms {
                if steps(d) <= edge {
                    return Err(ActorError::new(format!(
                        "`{}`: {}.delay_ms = {d} ms is not longer than the edge into {} ({} ms): that spike would act before it was sent",
                        ctx.name,
                        pr.at,
                        SPIKE_PORTS[*port],
                        edge as f64 * dt
                    )));
                }
            }
            for &reg in &pr.regions {
                let target = &pops[reg * np + pr.to];
                let pairs = pr
                    .rule
                    .pairs(trains.len(), target.size, rng)
                    .map_err(|e| ActorError::new(format!("`{}`: {}: {e}", ctx.name, pr.at)))?;
                for (s, t) in pairs {
                    let weight = pr.weight.sample(rng);
                    // a drawn delay is at least one step past the edge
                    let delay = (steps(pr.delay_ms.sample(rng)) - edge).max(1) as u32;
                    me.add(
                        *port,
                        trains[s],
                        (target.first + t) as u32,
                        (weight, pr.receptor),
                        delay,
                        pr.synapse,
                        grid,
                        net,
                    )
                    .map_err(|e| ActorError::new(format!("`{}`: {}: {e}", ctx.name, pr.at)))?;
                }
            }
        }
        Ok(me)
    }

    /// Adds the plastic synapses of the `input` table (`input.synapse`):
    /// its trains on `spikes_in` (port 0), each synapse as drawn by the
    /// table (train, neuron, weight, delay in fine steps past the edge).
    pub fn add_input(
        &mut self,
        synapses: impl Iterator<Item = (u32, u32, f64, u32)>,
        synapse: Synapse,
        ctx: &RunContext,
        grid: Grid,
        net: &mut Network,
    ) -> Result<(), ActorError> {
        self.edge[0] = grid.steps(ctx.delays_into(SPIKE_PORTS[0]).min().unwrap_or(0)) as u64;
        self.tics = tics_per_step(grid.h)
            .map_err(|e| ActorError::new(format!("`{}`: input.synapse: {e}", ctx.name)))?;
        for (train, neuron, weight, delay) in synapses {
            self.add(
                0,
                train,
                neuron,
                (weight, 0),
                delay,
                Some(synapse),
                grid,
                net,
            )
            .map_err(|e| ActorError::new(format!("`{}`: input: {e}", ctx.name)))?;
        }
        Ok(())
    }

    /// One synapse from train `train` of input port `port` onto receptor
    /// `receptor` of `neuron` (`(weight, receptor)`), acting `delay` fine
    /// steps after the spike's stamp past the edge (`self.edge[port]`, set
    /// before).
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        port: usize,
        train: u32,
        neuron: u32,
        (weight, receptor): (f64, usize),
        delay: u32,
        synapse: Option<Synapse>,
        grid: Grid,
        net: &mut Network,
    ) -> Result<(), String> {
        let edge = self.edge[port];
        let have = net.extra_receptors_of(neuron as usize);
        if receptor > have {
            return Err(format!(
                "receptor {receptor}: neuron {neuron} ({}) has receptors 0..={have}",
                net.neurons().info(neuron as usize).name
            ));
        }
        if receptor > 0 && weight < 0.0 {
            return Err(format!(
                "weight {weight} onto receptor {receptor}: it takes weights ≥ 0 only"
            ));
        }
        if receptor > 0 && synapse.is_some() {
            return Err(format!(
                "receptor {receptor}: plastic synapses from input ports reach receptor 0 only"
            ));
        }
        self.longest = self.longest.max(delay as usize);
        let plastic = match synapse {
            None => None,
            Some(Synapse::Tsodyks2(p)) => Some(PortPlastic::Tsodyks2(p, p.state())),
            // NEST's delay from the sender's spike: the edge's and the
            // synapse's; sent up to an edge and a graph step after its time
            Some(Synapse::Stdp(p)) => Some(PortPlastic::Stdp(
                net.connect_external(
                    neuron as usize,
                    weight,
                    delay as usize + edge as usize,
                    p,
                    edge + grid.r,
                )
                .map_err(|e| e.to_string())?,
            )),
        };
        self.ports[port]
            .entry(train)
            .or_default()
            .push(PortSynapse {
                neuron,
                delay,
                weight,
                plastic,
                receptor,
            });
        Ok(())
    }

    /// The (u, x, t_last) of every tsodyks2_synapse on the input ports (and
    /// the `input` table's), port by port, train by train in ascending
    /// order, in wiring order within a train: a checkpoint's.
    pub fn tsodyks2_states(&self) -> Vec<f64> {
        let mut out = vec![];
        for port in &self.ports {
            let mut trains: Vec<u32> = port.keys().copied().collect();
            trains.sort_unstable();
            for s in trains.iter().filter_map(|t| port.get(t)).flatten() {
                if let Some(PortPlastic::Tsodyks2(_, st)) = &s.plastic {
                    out.extend([st.u, st.x, st.t_last]);
                }
            }
        }
        out
    }

    /// Puts back what [`tsodyks2_states`](Self::tsodyks2_states) saved, on
    /// the same synapses (the wiring is redrawn from the seed as before).
    pub fn restore_tsodyks2_states(&mut self, saved: &[f64]) -> Result<(), String> {
        let mut states = saved.chunks_exact(3);
        let mut n = 0;
        for port in &mut self.ports {
            let mut trains: Vec<u32> = port.keys().copied().collect();
            trains.sort_unstable();
            for t in trains {
                for s in port.get_mut(&t).into_iter().flatten() {
                    if let Some(PortPlastic::Tsodyks2(_, st)) = &mut s.plastic {
                        n += 1;
                        if let Some(c) = states.next() {
                            (st.u, st.x, st.t_last) = (c[0], c[1], c[2]);
                        }
                    }
                }
            }
        }
        if saved.len() != 3 * n {
            return Err(format!(
                "the checkpoint holds {} values of tsodyks2_synapses on input ports, this network has {n} such synapses (3 values each)",
                saved.len()
            ));
        }
        Ok(())
    }

    /// The longest synaptic delay (steps past the edge).
    pub fn longest_delay(&self) -> usize {
        self.longest
    }

    /// Schedules the spikes of port `port` in window `w` into `net` (at
    /// the window's start), in stamp order: a spike stamped k acts in step
    /// k + s of each of its synapses, a plastic synapse's weight scaled by
    /// its state updated at the spike's time, ((k+1)·r − edge) fine steps.
    /// Spikes of trains no connection names reach nothing, as NEST's
    /// unconnected device outputs; the count is returned.
    pub fn schedule(
        &mut self,
        port: usize,
        sp: &Spikes,
        w: &WindowInfo,
        grid: Grid,
        net: &mut Network,
    ) -> Result<usize, ActorError> {
        let mut unconnected = 0;
        let mut order: Vec<usize> = (0..sp.stamps.len()).collect();
        order.sort_by_key(|&k| sp.stamps[k]);
        let (edge, tics) = (self.edge[port], self.tics);
        for k in order {
            let stamp = sp.stamps[k];
            if !w.contains(stamp) {
                continue;
            }
            let Some(syn) = self.ports[port].get_mut(&sp.senders[k]) else {
                unconnected += 1;
                continue;
            };
            let at = grid.offset(stamp, w);
            // the spike's time as NEST's sender stamps it
            let t_spike = nest_ms(((stamp + 1) * grid.r).saturating_sub(edge), tics);
            for s in syn {
                let mut weight = s.weight;
                match &mut s.plastic {
                    None => {}
                    Some(PortPlastic::Tsodyks2(p, state)) => weight *= state.spike(p, t_spike),
                    Some(PortPlastic::Stdp(id)) => {
                        // sent in the step the spike reaches the network
                        net.send_external(*id, t_spike, at, at + s.delay as usize)
                            .map_err(ActorError::new)?;
                        continue;
                    }
                }
                net.inject_receptor(s.neuron as usize, weight, at + s.delay as usize, s.receptor)
                    .map_err(ActorError::new)?;
            }
        }
        Ok(unconnected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_models::spiking::{neuron_info, Receptor};

    const POSITIVE_ONLY: NeuronInfo = NeuronInfo {
        name: "multisynapse_test",
        doc: "",
        params: &[],
        weight_unit: "nS",
        receptors: &[Receptor {
            id: 1,
            signs: Signs::NonNegative,
            doc: "",
        }],
        solvers: &[],
        heavy_step: true,
        build: |_, _, _, _| {
            Err(brainstream_models::ModelError::Config(
                "a test model".into(),
            ))
        },
    };

    #[test]
    fn receptors_are_checked_against_the_model() {
        let iaf = neuron_info("iaf_psc_alpha").unwrap();
        // receptor 0 takes either sign
        for w in [120.0, -90.0, 0.0] {
            check_receptor(iaf, 0, &Dist::Constant(w), "connections[0]").unwrap();
        }
        let e = check_receptor(iaf, 2, &Dist::Constant(1.0), "connections[3]").unwrap_err();
        assert_eq!(e.key, "connections[3].receptor");
        assert_eq!(e.message, "iaf_psc_alpha has no receptor 2");
        // a receptor that takes weights ≥ 0 only refuses what can be negative
        check_receptor(&POSITIVE_ONLY, 1, &Dist::Constant(2.0), "c").unwrap();
        for w in [
            Dist::Constant(-1.0),
            Dist::Normal {
                mean: 2.0,
                std: 0.1,
            },
            Dist::Uniform {
                low: -1.0,
                high: 1.0,
            },
        ] {
            let e = check_receptor(&POSITIVE_ONLY, 1, &w, "connections[1]").unwrap_err();
            assert_eq!(e.key, "connections[1].weight");
            assert!(
                e.message.contains("takes weights ≥ 0 only"),
                "{}",
                e.message
            );
        }
    }
}
