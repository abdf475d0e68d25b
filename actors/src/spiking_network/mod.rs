//! `spiking_network`: spiking populations at brain regions, NEST's neuron
//! models (`iaf_psc_alpha`, `iaf_psc_exp`, `iaf_cond_alpha`, `iaf_cond_exp`,
//! `aeif_cond_exp`, `aeif_cond_alpha`, `izhikevich`, `hh_psc_alpha`,
//! `gif_cond_exp`; tvb-multiscale's `iaf_cond_ww_deco` and
//! `izhikevich_hamker`) and
//! connection rules (numerics in `brainstream_models::spiking`).
//!
//! Every region listed in `regions` holds the same populations (each with
//! its own parameters: [`neurons`]), wired the same way (with its own
//! random draws); regions are connected to each other by
//! `region_connections` through a connectome, with its weights scaled and
//! TVB's delays ([`regions`]), and in a co-simulation the mean field
//! couples them to the rest of the brain. Inputs: spike trains of
//! proxy devices (e.g. from `poisson_spikes`), wired by the `input` table
//! in tvb-multiscale's `tvb` or `spiking` coupling mode ([`input`]); trains
//! of devices on `spikes_in_2` … `spikes_in_4` (and `spikes_in` without an
//! `input` table), wired by `connections` ([`connections`]) with their own
//! weights of either sign, delays and receptors.
//! Outputs: every spike (sender = global neuron id, populations of region 0
//! first), and the population rates of each step (Hz).
//!
//! Timing as NEST: a spike emitted in step k is stamped k, at (k+1)·dt;
//! over a synapse of delay d steps it acts in step k + d. An input spike
//! stamped k acts in step k + d of its input delay. With its own `dt_ms`
//! (h = dt/r) the network takes r steps per graph step, mapped exactly at
//! the graph's steps ([`grid`]).

mod connections;
mod grid;
mod input;
mod neurons;
mod regions;
mod state;
mod steer;

use std::sync::Arc;

use connections::{PortSynapses, Projection, Source, SPIKE_PORTS};
use grid::Grid;
use input::{Fanout, InputSpec};
use regions::Between;

use brainstream_models::spiking::{neuron_info, Dist, Network, Neuron, NEURONS};
use brainstream_models::thread_choice::{Mode, ThreadChoice};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, RunContext, Series,
    SeriesMeta, Spikes, WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "model", ty: ParamType::Str, default: DefaultValue::Str("iaf_psc_alpha"), range: None, unit: "", doc: "Neuron model, NEST's name: iaf_psc_alpha, iaf_psc_exp or hh_psc_alpha (weights in pA), iaf_cond_alpha, iaf_cond_exp, aeif_cond_exp, aeif_cond_alpha, gif_cond_exp or tvb-multiscale's izhikevich_hamker (weights in nS), izhikevich (weights in mV), tvb-multiscale's iaf_cond_ww_deco (gating increments); `brainstream list` lists them" },
    ParamSpec { name: "dt_ms", ty: ParamType::Float, default: DefaultValue::Optional, range: None, unit: "ms", doc: "The network's own time step h, the graph's dt_ms divided by a whole r ≥ 1 (e.g. 0.05 under 0.1): r steps per graph step, inputs and outputs mapped exactly at the graph's steps (default: the graph's dt_ms)" },
    ParamSpec { name: "solver", ty: ParamType::Str, default: DefaultValue::Str("rkf45"), range: None, unit: "", doc: "How iaf_cond_alpha is integrated: rkf45 (NEST's GSL RKF45, V_m equal to NEST's) or rk4 (exact conductances, 3 RK4 sub-steps for V_m: as accurate as NEST's RKF45, about 7× faster; docs/benchmarks.md)" },
    ParamSpec { name: "neuron_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Neuron parameters by NEST name, e.g. { I_e = 0.0, tau_m = 10.0 } (NEST's lists, e.g. gif_cond_exp's q_sfa = [5.0, 2.0]: up to the vector's length); every model also takes tau_minus (ms, default 20: the trace stdp_synapses onto it read)" },
    ParamSpec { name: "population_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Parameters of one population, over neuron_params, e.g. { I = { tau_m = 5.0 } } (`brainstream list MODEL` lists them)" },
    ParamSpec { name: "regions", ty: ParamType::StrList, default: DefaultValue::Required, range: None, unit: "", doc: "Labels of the regions simulated here (the proxy regions of the mean field, in the same order)" },
    ParamSpec { name: "populations", ty: ParamType::Table, default: DefaultValue::Required, range: None, unit: "neurons", doc: "Population sizes per region, e.g. { E = 800, I = 200 } (ordered by name)" },
    ParamSpec { name: "connections", ty: ParamType::TableList, default: DefaultValue::Optional, range: None, unit: "", doc: "Projections into the populations of each region, NEST's Connect: { from = population or input port (spikes_in, spikes_in_2..4), trains (port only: sender indices or a count; default [0]), to, rule = all_to_all (default) | one_to_one | fixed_indegree (indegree) | fixed_outdegree (outdegree) | pairwise_bernoulli (p), weight (either sign: > 0 excitatory, ≤ 0 inhibitory, as NEST), delay_ms (from a port: NEST's delay from the device's spike, the edge's included), receptor (NEST's receptor_type, default 0), regions (default all), synapse (default static; { model = \"tsodyks2_synapse\", U, u, x, tau_rec, tau_fac }: NEST's short-term plasticity, a state per synapse; { model = \"stdp_synapse\", tau_plus, lambda, alpha, mu_plus, mu_minus, Wmax, Kplus }: NEST's pair-based STDP, the target's tau_minus in neuron_params / population_params) }: weight and delay_ms are numbers or { dist = \"normal\", mean, std } / { dist = \"uniform\", low, high }" },
    ParamSpec { name: "region_connections", ty: ParamType::TableList, default: DefaultValue::Optional, range: None, unit: "", doc: "Projections between the regions through the connectome, tvb-multiscale's nodes_connections: { from = population(s) of the source region j, to = population(s) of the target region i ≠ j, scale (weight = scale·w_ij, either sign), rule (as connections), receptor (a number, or \"source\": the source region's index in the connectome + 1, tvb-multiscale's Deco 2014 builder), source_regions, target_regions (default all), synapse (as connections': tsodyks2_synapse or stdp_synapse) }, delay rint(L_ij / speed / dt) steps (≥ 1); pairs with w_ij = 0 are left out" },
    ParamSpec { name: "connectivity", ty: ParamType::Path, default: DefaultValue::Optional, range: None, unit: "", doc: "The connectome of region_connections and of background.receptor = \"region\" (rows: receiving regions, as TVB): builtin:tvb76 (default), a TVB .zip, an .h5 file, or a folder of weights/tract_lengths CSV or TXT files; the regions' labels must be in it" },
    ParamSpec { name: "speed_mm_per_ms", ty: ParamType::Float, default: DefaultValue::Optional, range: None, unit: "mm/ms", doc: "Conduction speed of region_connections (default 3.0): delays rint(tract_length / speed / dt) steps" },
    ParamSpec { name: "background", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Independent Poisson drive of every neuron: { rate_hz, weight (the model's unit, e.g. pA), delay_ms, populations = [names] (default all), receptor (NEST's receptor_type, default 0; or \"region\": each region's own index in `connectivity` + 1, tvb-multiscale's Deco 2014 stimulus) }" },
    ParamSpec { name: "v_m_init", ty: ParamType::FloatList, default: DefaultValue::Optional, range: None, unit: "mV", doc: "Initial membrane potentials drawn uniformly in [lo, hi] (default: E_L)" },
    ParamSpec { name: "current_targets", ty: ParamType::StrList, default: DefaultValue::Optional, range: None, unit: "", doc: "Populations that take the `current_in` input (default: all)" },
    ParamSpec { name: "record_v_m", ty: ParamType::FloatList, default: DefaultValue::Optional, range: Some((0.0, 1e12)), unit: "", doc: "Global ids of the neurons whose V_m goes out on `v_m` (the network then steps on one thread)" },
    ParamSpec { name: "threads", ty: ParamType::Int, default: DefaultValue::Int(0), range: Some((0.0, 256.0)), unit: "", doc: "Threads updating the neurons (0: automatic — for conductance networks of ≥ 500 neurons all cores up to 4 or one, each window whichever was measured faster; else 1); results are identical for any count" },
    ParamSpec { name: "input", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Proxy input on `spikes_in`: { coupling = \"tvb\" (default: trains per spiking region, fed by the mean field's coupling) | \"spiking\" (trains per connectome region, connectome weights × weight and delays here), trains_per_region, targets = [population names], indegree (per train group), weight (pA or nS, either sign: > 0 excitatory, ≤ 0 inhibitory), delay_ms (tvb), connectivity and speed_mm_per_ms (spiking), receptor (NEST's receptor_type, default 0; spiking mode also \"source\": region j's trains on receptor j + 1), synapse (default static; tsodyks2_synapse or stdp_synapse as in connections, a state per synapse) }" },
    ParamSpec { name: "region_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Parameters of one population in one region, over population_params: { REGION = { POPULATION = { NAME = value } } }, e.g. { rM1 = { E = { I_e = 10.0 } } } (tvb-multiscale's builders take a population's params per region node); tau_minus stays per population" },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "spiking_network",
    doc: "Spiking populations at brain regions: NEST's iaf_psc_alpha, iaf_psc_exp, iaf_cond_alpha, iaf_cond_exp, aeif_cond_exp, aeif_cond_alpha, izhikevich, hh_psc_alpha, gif_cond_exp, tvb-multiscale's iaf_cond_ww_deco and izhikevich_hamker, connection rules, delays, regions connected through a connectome, tsodyks2_synapse and stdp_synapse plasticity, Poisson background, current input, V_m recording",
    params: PARAMS,
    inputs: &[
        PortDecl { name: "spikes_in", ty: PortType::Spikes, doc: "spike trains of proxy devices: senders r·T + k for spiking region r (coupling \"tvb\") or connectome region r (\"spiking\"), T = input.trains_per_region; without an `input` table, a device's trains wired by `connections` with from = \"spikes_in\"", end_stamped: false },
        PortDecl { name: "spikes_in_2", ty: PortType::Spikes, doc: "spike trains of a device (spike_generator, poisson_generator, parrot_neuron, …), wired by `connections` with from = \"spikes_in_2\"", end_stamped: false },
        PortDecl { name: "spikes_in_3", ty: PortType::Spikes, doc: "as spikes_in_2", end_stamped: false },
        PortDecl { name: "spikes_in_4", ty: PortType::Spikes, doc: "as spikes_in_2", end_stamped: false },
        PortDecl { name: "current_in", ty: PortType::Current, doc: "current (pA) into the `current_targets` populations of every region: variable 0, one node for all regions or one per region; a sample stamped j arrives in step j and acts from the next", end_stamped: false },
        brainstream_runtime::control::INPUT,
    ],
    outputs: &[
        PortDecl { name: "spikes", ty: PortType::Spikes, doc: "every spike, senders = global neuron ids", end_stamped: false },
        PortDecl { name: "rates", ty: PortType::Series, doc: "population rate over each step (Hz), stamped at the step's end: variables = populations, nodes = regions", end_stamped: false },
        PortDecl { name: "v_m", ty: PortType::Series, doc: "membrane potential (mV) of the `record_v_m` neurons after every step (NEST's multimeter)", end_stamped: false },
    ],
    build,
};

/// A number, or `{ dist = "normal", mean, std }` / `{ dist = "uniform", low, high }`.
fn dist(t: &toml::Table, key: &str, at: &str) -> Result<Dist, BuildError> {
    match t.get(key) {
        Some(toml::Value::Table(d)) => {
            let p = format!("{at}.{key}");
            only(d, &["dist", "mean", "std", "low", "high"], &p)?;
            match text(d, "dist", &p)? {
                "normal" => {
                    let std = num(d, "std", &p)?;
                    if std < 0.0 {
                        return Err(BuildError::at(
                            format!("{p}.std"),
                            format!("{std} is negative"),
                        ));
                    }
                    Ok(Dist::Normal {
                        mean: num(d, "mean", &p)?,
                        std,
                    })
                }
                "uniform" => {
                    let (low, high) = (num(d, "low", &p)?, num(d, "high", &p)?);
                    if low >= high {
                        return Err(BuildError::at(
                            p,
                            format!("low {low} must be below high {high}"),
                        ));
                    }
                    Ok(Dist::Uniform { low, high })
                }
                other => Err(BuildError::at(
                    format!("{p}.dist"),
                    format!("unknown distribution `{other}`"),
                )
                .hint("normal or uniform")),
            }
        }
        _ => num(t, key, at).map(Dist::Constant),
    }
}

struct SpikingNetwork {
    name: String,
    /// one neuron per population, with its model and parameters
    templates: Vec<Box<dyn Neuron>>,
    /// per (region, population), region-major: the population's neurons
    /// in that region where `region_params` sets their own parameters
    regional: Vec<Option<Box<dyn Neuron>>>,
    /// τ₋ of each population's STDP trace, ms
    tau_minus: Vec<f64>,
    regions: Vec<String>,
    pops: Vec<(String, usize)>,
    projections: Vec<Projection>,
    background: Option<(f64, f64, f64, Vec<usize>)>,
    /// NEST's receptor_type of the background's synapses, per region
    /// (`receptor = "region"`: the region's connectome index + 1)
    background_receptor: Vec<usize>,
    input: Option<InputSpec>,
    between: Option<Between>,
    v_m_init: Option<(f64, f64)>,
    threads: usize,
    /// `threads = 0` with several threads chosen: each window on one
    /// thread or on all, whichever was measured faster
    /// (`brainstream_models::thread_choice`)
    choice: Option<ThreadChoice>,
    current_targets: Vec<usize>,
    record: Vec<usize>,
    vm_meta: Arc<SeriesMeta>,
    /// the network's step and its steps per graph step
    grid: Grid,
    net: Option<Network>,
    /// first global id of every population (region-major)
    pop_first: Vec<usize>,
    /// per input train: the synapses it makes
    fanout: Option<Fanout>,
    /// the synapses of the device trains on the spike ports
    port_synapses: PortSynapses,
    /// whether spikes of unconnected trains were reported, per port
    warned_unconnected: [bool; 4],
    meta: Arc<SeriesMeta>,
    /// a checkpoint's network state, taken at `start` ([`state`])
    restored: Option<brainstream_models::spiking::network::NetworkState>,
    /// a checkpoint's tsodyks2 states of the input ports' synapses
    restored_ports: Option<Vec<f64>>,
    /// what can change during a run ([`steer`])
    steer: steer::Steer,
}

fn num(t: &toml::Table, key: &str, at: &str) -> Result<f64, BuildError> {
    match t.get(key) {
        Some(toml::Value::Float(f)) if f.is_finite() => Ok(*f),
        Some(toml::Value::Integer(i)) => Ok(*i as f64),
        Some(v) => Err(BuildError::at(
            format!("{at}.{key}"),
            format!("expected a finite number, got {v}"),
        )),
        None => Err(BuildError::at(at, format!("missing `{key}`"))),
    }
}

fn count(t: &toml::Table, key: &str, at: &str) -> Result<usize, BuildError> {
    match t.get(key) {
        Some(toml::Value::Integer(i)) if *i >= 0 => Ok(*i as usize),
        Some(v) => Err(BuildError::at(
            format!("{at}.{key}"),
            format!("expected a count ≥ 0, got {v}"),
        )),
        None => Err(BuildError::at(at, format!("missing `{key}`"))),
    }
}

fn text<'a>(t: &'a toml::Table, key: &str, at: &str) -> Result<&'a str, BuildError> {
    match t.get(key) {
        Some(toml::Value::String(s)) => Ok(s),
        Some(v) => Err(BuildError::at(
            format!("{at}.{key}"),
            format!("expected a string, got {v}"),
        )),
        None => Err(BuildError::at(at, format!("missing `{key}`"))),
    }
}

fn only(t: &toml::Table, keys: &[&str], at: &str) -> Result<(), BuildError> {
    for k in t.keys() {
        if !keys.contains(&k.as_str()) {
            return Err(
                BuildError::at(format!("{at}.{k}"), format!("unknown key `{k}`"))
                    .hint(format!("known: {}", keys.join(", "))),
            );
        }
    }
    Ok(())
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let model = p.str("model")?;
    let info = neuron_info(&model).ok_or_else(|| {
        BuildError::at(
            "model",
            format!("neuron model `{model}` is not available yet"),
        )
        .hint(format!(
            "available: {}",
            NEURONS
                .iter()
                .map(|n| n.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let (regions, pops) = crate::util::regions_and_populations(p)?;
    let grid = Grid::new(p.opt_f64("dt_ms")?, ctx.dt_ms)?;
    let h = grid.h;
    let (templates, pop_params) = neurons::templates(p, info, h, &pops)?;
    let regional = neurons::region_templates(p, info, h, &regions, &pops, &pop_params)?;
    let tau_minus = neurons::tau_minus(p, &pops)?;
    let pop_index = |name: &str, at: String| -> Result<usize, BuildError> {
        pops.iter().position(|(n, _)| n == name).ok_or_else(|| {
            BuildError::at(at, format!("no population `{name}`")).hint(format!(
                "populations: {}",
                pops.iter()
                    .map(|p| p.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    };
    let background = match p.table("background")? {
        None => None,
        Some(b) => {
            only(
                b,
                &["rate_hz", "weight", "delay_ms", "populations", "receptor"],
                "background",
            )?;
            let rate = num(b, "rate_hz", "background")?;
            if rate < 0.0 {
                return Err(BuildError::at(
                    "background.rate_hz",
                    format!("{rate} Hz is negative"),
                ));
            }
            let targets = match b.get("populations") {
                None => (0..pops.len()).collect(),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| match x.as_str() {
                        Some(s) => pop_index(s, format!("background.populations[{i}]")),
                        None => Err(BuildError::at(
                            format!("background.populations[{i}]"),
                            "expected a population name",
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                Some(v) => {
                    return Err(BuildError::at(
                        "background.populations",
                        format!("expected a list of names, got {v}"),
                    ))
                }
            };
            Some((
                rate,
                num(b, "weight", "background")?,
                num(b, "delay_ms", "background")?,
                targets,
            ))
        }
    };
    let background_receptor = regions::background_receptors(p, info, &regions)?;
    let input = match p.table("input")? {
        None => None,
        Some(t) => Some(InputSpec::parse(t, ctx, h, &regions, &pop_index, info)?),
    };
    let projections = connections::parse(&connections::Context {
        params: p,
        model: info,
        dt_ms: h,
        pops: &pops,
        regions: &regions,
        input_on_spikes_in: input.is_some(),
        pop_index: &pop_index,
    })?;
    let between = Between::parse(&regions::Context {
        params: p,
        model: info,
        dt_ms: h,
        pops: &pops,
        regions: &regions,
        pop_index: &pop_index,
    })?;
    let current_targets = match p.str_list("current_targets")? {
        None => (0..pops.len()).collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, n)| pop_index(n, format!("current_targets[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let record: Vec<usize> = p
        .f64_list("record_v_m")?
        .unwrap_or_default()
        .iter()
        .map(|&x| x as usize)
        .collect();
    let per_region: usize = pops.iter().map(|p| p.1).sum();
    if let Some(&bad) = record.iter().find(|&&i| i >= per_region * regions.len()) {
        return Err(BuildError::at(
            "record_v_m",
            format!(
                "neuron {bad} does not exist ({} neurons)",
                per_region * regions.len()
            ),
        ));
    }
    let v_m_init = match p.f64_list("v_m_init")? {
        None => None,
        Some(v) if v.len() == 2 && v[0] < v[1] => Some((v[0], v[1])),
        Some(v) => {
            return Err(BuildError::at(
                "v_m_init",
                format!("expected [lo, hi] with lo < hi, got {v:?}"),
            ))
        }
    };
    let meta = Arc::new(SeriesMeta::new(
        pops.iter().map(|p| p.0.clone()).collect(),
        regions.clone(),
        "Hz",
    ));
    let mut steer = steer::Steer::new(
        info,
        &p.str("solver")?,
        h,
        pops.iter().map(|p| p.0.clone()).zip(pop_params).collect(),
        background.is_some(),
    );
    for (k, (pop, _)) in pops.iter().enumerate() {
        let own: Vec<&str> = regions
            .iter()
            .enumerate()
            .filter(|(r, _)| regional[r * pops.len() + k].is_some())
            .map(|(_, name)| name.as_str())
            .collect();
        if !own.is_empty() {
            steer.fix_regional(pop, &own);
        }
    }
    Ok(Box::new(SpikingNetwork {
        steer,
        name: ctx.name.to_string(),
        templates,
        regional,
        tau_minus,
        regions,
        pops,
        projections,
        background,
        background_receptor,
        input,
        between,
        v_m_init,
        threads: p.i64("threads")? as usize,
        choice: None,
        current_targets,
        vm_meta: Arc::new(SeriesMeta::new(
            vec!["V_m".into()],
            record.iter().map(|i| format!("neuron{i}")).collect(),
            "mV",
        )),
        record,
        grid,
        net: None,
        pop_first: vec![],
        fanout: None,
        port_synapses: PortSynapses::default(),
        warned_unconnected: [false; 4],
        meta,
        restored: None,
        restored_ports: None,
    }))
}

/// Firing rate assumed per neuron when estimating the spikes a network
/// sends, Hz (the estimate is for memory and disk, not for the dynamics).
const ESTIMATED_RATE_HZ: f64 = 10.0;

/// Bytes per neuron: state, parameters and the ring of pending input
/// (about 64 steps of two conductances or currents).
const BYTES_PER_NEURON: f64 = 64.0 * 16.0 + 128.0;

/// Bytes per synapse: target, weight and delay here, and the pair drawn
/// while connecting.
const BYTES_PER_SYNAPSE: f64 = 22.0;

/// More bytes per plastic synapse: its state (u, x, t_prev), the index of
/// its parameters, and its index among the synapses.
const BYTES_PER_PLASTIC_SYNAPSE: f64 = 36.0;

impl Actor for SpikingNetwork {
    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    /// `population_params.POP.NAME` (a neuron parameter of population
    /// `POP` in every region) and `background.rate_hz` ([`steer`]).
    fn steerable(&self) -> Vec<String> {
        self.steer.keys().to_vec()
    }

    fn unsteerable(&self) -> Vec<(String, String)> {
        self.steer.unsteerable()
    }

    fn steer(&mut self, key: &str, value: f64) -> Result<f64, ActorError> {
        if !self.steer.keys().iter().any(|k| k == key) {
            return Err(ActorError::new(format!(
                "`{key}` {}",
                brainstream_runtime::control::refusal(
                    key,
                    self.steer.keys(),
                    &self.steer.unsteerable()
                )
            )));
        }
        let net = self
            .net
            .as_mut()
            .ok_or_else(|| ActorError::new("steered before its start"))?;
        let background = self
            .background
            .as_mut()
            .map(|(rate, _, _, targets)| (rate, targets.as_slice()));
        self.steer
            .apply(net, self.regions.len(), background, key, value)
            .map_err(|e| ActorError::new(format!("`{key}`: {e}")))
    }

    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let regions = self.regions.len() as f64;
        let per_region: usize = self.pops.iter().map(|p| p.1).sum();
        let neurons = regions * per_region as f64;
        let sizes: Vec<usize> = self.pops.iter().map(|p| p.1).collect();
        let synapses: f64 = self
            .projections
            .iter()
            .map(|pr| pr.expected_synapses(&sizes))
            .sum::<f64>()
            + self
                .between
                .as_ref()
                .map_or(0.0, |b| b.expected_synapses(&sizes));
        let plastic: f64 = self
            .projections
            .iter()
            .filter(|pr| pr.synapse.is_some())
            .map(|pr| pr.expected_synapses(&sizes))
            .sum();
        let n = self.regions.len() * per_region;
        Ok(Footprint {
            memory_bytes: neurons * BYTES_PER_NEURON
                + synapses * BYTES_PER_SYNAPSE
                + plastic * BYTES_PER_PLASTIC_SYNAPSE,
            outputs: vec![
                (
                    "spikes",
                    PortShape::spikes(n, neurons * ESTIMATED_RATE_HZ * ctx.dt_ms / 1000.0),
                ),
                (
                    "rates",
                    PortShape::named_series(&self.meta.variables, &self.meta.nodes, 1.0),
                ),
                ("v_m", PortShape::series(1, self.record.len(), 1.0)),
            ],
            ..Default::default()
        })
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        use rand::SeedableRng;
        let r = self.regions.len();
        let all: Vec<(String, usize)> = self
            .regions
            .iter()
            .flat_map(|reg| {
                self.pops
                    .iter()
                    .map(move |(p, n)| (format!("{reg}.{p}"), *n))
            })
            .collect();
        let np = self.pops.len();
        let templates: Vec<&dyn Neuron> = (0..r * np)
            .map(|i| {
                self.regional[i]
                    .as_deref()
                    .unwrap_or(self.templates[i % np].as_ref())
            })
            .collect();
        let mut net = Network::with_templates(&all, &templates, self.grid.h, ctx.seed)
            .map_err(ActorError::new)?;
        for (k, &tau) in self.tau_minus.iter().enumerate() {
            for reg in 0..r {
                net.set_tau_minus(reg * np + k, tau)
                    .map_err(ActorError::new)?;
            }
        }
        for reg in 0..r {
            for pr in &self.projections {
                let Source::Population(from) = pr.from else {
                    continue;
                };
                if !pr.regions.contains(&reg) {
                    continue;
                }
                net.connect_receptor(
                    reg * np + from,
                    reg * np + pr.to,
                    pr.rule,
                    pr.weight,
                    pr.delay_ms,
                    pr.synapse,
                    pr.receptor,
                )
                .map_err(|e| ActorError::new(format!("`{}`: {}: {e}", self.name, pr.at)))?;
            }
            if let Some((rate, w, d, targets)) = &self.background {
                for &t in targets {
                    net.background_receptor(
                        reg * np + t,
                        *rate,
                        *w,
                        *d,
                        self.background_receptor[reg],
                    )
                    .map_err(ActorError::new)?;
                }
            }
        }
        // between regions, after the populations within them, as
        // tvb-multiscale builds them
        if let Some(b) = &self.between {
            for l in &b.links {
                net.connect_receptor(
                    l.from,
                    l.to,
                    l.rule,
                    Dist::Constant(l.weight),
                    Dist::Constant(l.delay_steps as f64 * self.grid.h),
                    l.synapse,
                    l.receptor,
                )
                .map_err(|e| ActorError::new(format!("`{}`: {}: {e}", self.name, l.at)))?;
            }
            tracing::debug!(actor = %self.name, longest_delay_steps = b.longest_delay(), "regions connected");
        }
        if let Some((lo, hi)) = self.v_m_init {
            net.randomize_v_m(lo, hi);
        }
        // input spikes of a whole window are scheduled at its start (its
        // last graph step's currents one graph step further)
        let grid = self.grid;
        let window = grid.steps(ctx.window_steps);
        net.reserve_input_horizon(window + grid.steps(1) + 65);
        let mut plastic_input = None;
        if let Some(inp) = &self.input {
            net.reserve_input_horizon(inp.horizon(window));
            let mut rng = rand::rngs::StdRng::seed_from_u64(ctx.seed ^ 0x5eed_1277);
            let fanout = inp.wire(ctx, grid, net.populations(), np, &mut rng)?;
            if let Some(s) = inp.synapse() {
                plastic_input = Some((s, fanout.synapses().collect::<Vec<_>>()));
            }
            self.fanout = Some(fanout);
        }
        if self
            .projections
            .iter()
            .any(|p| matches!(p.from, Source::Port { .. }))
        {
            // a stream of its own: graphs without device connections keep
            // their draws
            let mut rng = rand::rngs::StdRng::seed_from_u64(ctx.seed ^ 0xc0_22ec_7105);
            self.port_synapses =
                PortSynapses::wire(&self.projections, ctx, grid, &mut net, np, &mut rng)?;
            net.reserve_input_horizon(window + self.port_synapses.longest_delay() + 1);
        }
        // the input table's plastic synapses: the input ports' (spikes_in)
        if let Some((s, synapses)) = plastic_input {
            self.port_synapses
                .add_input(synapses.into_iter(), s, ctx, grid, &mut net)?;
        }
        if let Some(saved) = self.restored_ports.take() {
            self.port_synapses
                .restore_tsodyks2_states(&saved)
                .map_err(|e| ActorError::new(format!("resuming from the checkpoint: {e}")))?;
        }
        net.build();
        self.threads = match self.threads {
            0 => {
                let heavy = net.neurons().heavy_step() && net.len() >= 500;
                let t = if heavy {
                    std::thread::available_parallelism()
                        .map(|n| n.get())
                        .unwrap_or(1)
                        .min(4)
                } else {
                    1
                };
                self.choice = (t > 1).then(ThreadChoice::new);
                t
            }
            t => t,
        };
        self.pop_first = net.populations().iter().map(|p| p.first).collect();
        if let Some(st) = self.restored.take() {
            net.restore_state(&st)
                .map_err(|e| ActorError::new(format!("resuming from the checkpoint: {e}")))?;
        }
        tracing::info!(actor = %self.name, neurons = net.len(), synapses = net.n_synapses(), "spiking network ready");
        self.net = Some(net);
        Ok(())
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let net = self
            .net
            .as_mut()
            .ok_or_else(|| ActorError::new("not started"))?;
        let input = crate::util::spikes(inputs, "spikes_in")?;
        // the devices' trains: stamped k, they act in step k + s
        for (port, name) in SPIKE_PORTS.iter().enumerate() {
            let Some(sp) = crate::util::spikes(inputs, name)? else {
                continue;
            };
            if port == 0 && self.input.is_some() {
                continue;
            }
            let wired = self
                .projections
                .iter()
                .any(|p| matches!(p.from, Source::Port { port: q, .. } if q == port));
            if !wired {
                if sp.senders.is_empty() {
                    continue;
                }
                return Err(ActorError::new(format!(
                    "`{}` receives spikes on {name} but no connection has from = \"{name}\"{}",
                    self.name,
                    if port == 0 {
                        " and there is no `input` table saying where they go"
                    } else {
                        ""
                    }
                )));
            }
            let lost = self.port_synapses.schedule(port, sp, w, self.grid, net)?;
            if lost > 0 && !self.warned_unconnected[port] {
                self.warned_unconnected[port] = true;
                tracing::warn!(actor = %self.name, port = %name, spikes = lost, "spikes of trains that no connection names reach no neuron");
            }
        }
        let r = self.regions.len();
        let np = self.pops.len();
        let steps = w.n_steps as usize;
        let mut rates = Array3::zeros((steps, np, r));
        let mut spikes = Spikes::default();
        // the window's input spikes: stamped k, they act in step k + s
        if let (Some(sp), Some(fanout)) = (input, &self.fanout) {
            if self.input.as_ref().is_some_and(|i| i.synapse().is_some()) {
                // plastic: the input ports' synapses on spikes_in
                fanout.check_senders(&self.name, sp)?;
                self.port_synapses.schedule(0, sp, w, self.grid, net)?;
            } else {
                fanout.schedule(&self.name, sp, w, self.grid, net)?;
            }
        }
        // currents: a sample stamped j arrives in step j (in the last of
        // its fine steps) and acts during graph step j + 1 (each of its
        // fine steps)
        let grid = self.grid;
        if let Some(c) = crate::util::series(inputs, "current_in")? {
            let nodes = c.data.shape()[2];
            if nodes != 1 && nodes != r {
                return Err(ActorError::new(format!(
                    "`{}`: current_in has {nodes} nodes; give 1 (all regions) or {r} (one per region)",
                    self.name
                )));
            }
            for (k, &stamp) in c.stamps.iter().enumerate() {
                if !w.contains(stamp) {
                    continue;
                }
                for reg in 0..r {
                    let i = c.data[[k, 0, if nodes == 1 { 0 } else { reg }]];
                    if i == 0.0 {
                        continue;
                    }
                    for &pi in &self.current_targets {
                        let pop = reg * np + pi;
                        let (first, size) = (self.pop_first[pop], self.pops[pi].1);
                        for t in first..first + size {
                            for m in 0..grid.r as usize {
                                net.inject_current(t, i, grid.offset(stamp, w) + m)
                                    .map_err(ActorError::new)?;
                            }
                        }
                    }
                }
            }
        }
        let firsts: &[usize] = &self.pop_first;
        let record = &self.record;
        let mut vm = Array3::zeros((if record.is_empty() { 0 } else { steps }, 1, record.len()));
        // recording V_m needs the neurons after every step: one thread;
        // an automatic count steps on all threads or one as measured
        let fine_steps = grid.steps(w.n_steps);
        let record_free = record.is_empty();
        let mode = match &self.choice {
            _ if !record.is_empty() => Mode::One,
            Some(c) if fine_steps >= 4 => c.next(),
            _ => Mode::Parts,
        };
        let threads = match mode {
            Mode::One => 1,
            Mode::Parts => self.threads,
        };
        let started = std::time::Instant::now();
        // `step` is the network's (fine) step; `stamp` the graph's
        net.run_observed(fine_steps, threads, |step, fired, neurons| {
            let stamp = grid.graph_step(step);
            let s = (stamp - w.start_step) as usize;
            if !record.is_empty() && grid.ends_graph_step(step) {
                for (j, &i) in record.iter().enumerate() {
                    vm[[s, 0, j]] = neurons.v_m(i);
                }
            }
            for &i in fired {
                // populations are contiguous; find by binary search on `first`
                let pi = firsts.partition_point(|&f| f <= i as usize) - 1;
                rates[[s, pi % np, pi / np]] += 1.0;
                spikes.senders.push(i);
                spikes.stamps.push(stamp);
                spikes.times_ms.push((step + 1) as f64 * grid.h);
            }
        });
        if let (Some(c), true) = (self.choice.as_mut(), record_free && fine_steps >= 4) {
            c.record(mode, started.elapsed().as_secs_f64() / fine_steps as f64);
        }
        for s in 0..steps {
            for reg in 0..r {
                for (pi, (_, size)) in self.pops.iter().enumerate() {
                    rates[[s, pi, reg]] *= 1000.0 / (*size as f64 * w.dt_ms);
                }
            }
        }
        // the rate over step k is stamped at its end, k + 1, like a state
        let stamps: Vec<u64> = (w.start_step + 1..=w.start_step + w.n_steps).collect();
        out.set(
            "rates",
            Payload::Series(Arc::new(Series {
                times_ms: stamps.iter().map(|k| *k as f64 * w.dt_ms).collect(),
                stamps,
                data: rates,
                meta: self.meta.clone(),
            })),
        );
        out.set("spikes", Payload::Spikes(Arc::new(spikes)));
        if !self.record.is_empty() {
            let stamps: Vec<u64> = (w.start_step + 1..=w.start_step + w.n_steps).collect();
            out.set(
                "v_m",
                Payload::Series(Arc::new(Series {
                    times_ms: stamps.iter().map(|k| *k as f64 * w.dt_ms).collect(),
                    stamps,
                    data: vm,
                    meta: self.vm_meta.clone(),
                })),
            );
        }
        Ok(())
    }
}
