//! `spiking_network`: spiking populations at brain regions, NEST's neuron
//! models (`iaf_psc_alpha`, `iaf_cond_alpha`, `aeif_cond_exp`) and
//! connection rules (numerics in `brainstream_models::spiking`).
//!
//! Every region listed in `regions` holds the same populations, wired the
//! same way (with its own random draws); regions are not connected to each
//! other here — in a co-simulation the mean field couples them. Inputs:
//! spike trains of proxy devices (e.g. from `poisson_spikes`), wired by the
//! `input` table in tvb-multiscale's `tvb` or `spiking` coupling mode
//! ([`input`]).
//! Outputs: every spike (sender = global neuron id, populations of region 0
//! first), and the population rates of each step (Hz).
//!
//! Timing as NEST: a spike emitted in step k is stamped k, at (k+1)·dt;
//! over a synapse of delay d steps it acts in step k + d. An input spike
//! stamped k acts in step k + d of its input delay.

mod input;

use std::sync::Arc;

use input::{Fanout, InputSpec};

use brainstream_models::params::ParamSet;
use brainstream_models::spiking::aeif_cond_exp::{AeifCondExp, PARAMS as AEIF_PARAMS};
use brainstream_models::spiking::iaf_cond_alpha::{IafCondAlpha, Solver, PARAMS as COND_PARAMS};
use brainstream_models::spiking::iaf_psc_alpha::{IafPscAlpha, PARAMS as IAF_PARAMS};
use brainstream_models::spiking::{Dist, Network, Neurons, Rule};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, RunContext, Series,
    SeriesMeta, Spikes, WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "model", ty: ParamType::Str, default: DefaultValue::Str("iaf_psc_alpha"), range: None, unit: "", doc: "Neuron model, NEST's name: iaf_psc_alpha (weights in pA), iaf_cond_alpha or aeif_cond_exp (weights in nS)" },
    ParamSpec { name: "solver", ty: ParamType::Str, default: DefaultValue::Str("rkf45"), range: None, unit: "", doc: "How iaf_cond_alpha is integrated: rkf45 (NEST's GSL RKF45, V_m equal to NEST's) or rk4 (exact conductances, 3 RK4 sub-steps for V_m: as accurate as NEST's RKF45, about 7× faster; docs/benchmarks.md)" },
    ParamSpec { name: "neuron_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Neuron parameters by NEST name, e.g. { I_e = 0.0, tau_m = 10.0 }" },
    ParamSpec { name: "regions", ty: ParamType::StrList, default: DefaultValue::Required, range: None, unit: "", doc: "Labels of the regions simulated here (the proxy regions of the mean field, in the same order)" },
    ParamSpec { name: "populations", ty: ParamType::Table, default: DefaultValue::Required, range: None, unit: "neurons", doc: "Population sizes per region, e.g. { E = 800, I = 200 } (ordered by name)" },
    ParamSpec { name: "connections", ty: ParamType::TableList, default: DefaultValue::Optional, range: None, unit: "", doc: "Projections within each region: { from, to, rule = all_to_all | fixed_indegree | pairwise_bernoulli, indegree, p, weight, delay_ms }: weight and delay_ms are numbers or { dist = \"normal\", mean, std } / { dist = \"uniform\", low, high }" },
    ParamSpec { name: "background", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Independent Poisson drive of every neuron: { rate_hz, weight (pA), delay_ms, populations = [names] (default all) }" },
    ParamSpec { name: "v_m_init", ty: ParamType::FloatList, default: DefaultValue::Optional, range: None, unit: "mV", doc: "Initial membrane potentials drawn uniformly in [lo, hi] (default: E_L)" },
    ParamSpec { name: "current_targets", ty: ParamType::StrList, default: DefaultValue::Optional, range: None, unit: "", doc: "Populations that take the `current_in` input (default: all)" },
    ParamSpec { name: "record_v_m", ty: ParamType::FloatList, default: DefaultValue::Optional, range: Some((0.0, 1e12)), unit: "", doc: "Global ids of the neurons whose V_m goes out on `v_m` (the network then steps on one thread)" },
    ParamSpec { name: "threads", ty: ParamType::Int, default: DefaultValue::Int(0), range: Some((0.0, 256.0)), unit: "", doc: "Threads updating the neurons (0: automatic — all cores up to 4 for conductance networks of ≥ 500 neurons, else 1); results are identical for any count" },
    ParamSpec { name: "input", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Proxy input on `spikes_in`: { coupling = \"tvb\" (default: trains per spiking region, fed by the mean field's coupling) | \"spiking\" (trains per connectome region, connectome weights × weight and delays here), trains_per_region, targets = [population names], indegree (per train group), weight (pA or nS), delay_ms (tvb), connectivity and speed_mm_per_ms (spiking) }" },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "spiking_network",
    doc: "Spiking populations at brain regions: NEST's iaf_psc_alpha, iaf_cond_alpha, aeif_cond_exp, connection rules, delays, Poisson background, current input, V_m recording",
    params: PARAMS,
    inputs: &[
        PortDecl { name: "spikes_in", ty: PortType::Spikes, doc: "spike trains of proxy devices: senders r·T + k for spiking region r (coupling \"tvb\") or connectome region r (\"spiking\"), T = input.trains_per_region", end_stamped: false },
        PortDecl { name: "current_in", ty: PortType::Current, doc: "current (pA) into the `current_targets` populations of every region: variable 0, one node for all regions or one per region; a sample stamped j arrives in step j and acts from the next", end_stamped: false },
    ],
    outputs: &[
        PortDecl { name: "spikes", ty: PortType::Spikes, doc: "every spike, senders = global neuron ids", end_stamped: false },
        PortDecl { name: "rates", ty: PortType::Series, doc: "population rate over each step (Hz), stamped at the step's end: variables = populations, nodes = regions", end_stamped: false },
        PortDecl { name: "v_m", ty: PortType::Series, doc: "membrane potential (mV) of the `record_v_m` neurons after every step (NEST's multimeter)", end_stamped: false },
    ],
    build,
};

struct Projection {
    from: usize,
    to: usize,
    rule: Rule,
    weight: Dist,
    delay_ms: Dist,
}

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
    template: Neurons,
    regions: Vec<String>,
    pops: Vec<(String, usize)>,
    projections: Vec<Projection>,
    background: Option<(f64, f64, f64, Vec<usize>)>,
    input: Option<InputSpec>,
    v_m_init: Option<(f64, f64)>,
    threads: usize,
    current_targets: Vec<usize>,
    record: Vec<usize>,
    vm_meta: Arc<SeriesMeta>,
    dt: f64,
    net: Option<Network>,
    /// first global id of every population (region-major)
    pop_first: Vec<usize>,
    /// per input train: the synapses it makes
    fanout: Option<Fanout>,
    meta: Arc<SeriesMeta>,
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
    let table = match model.as_str() {
        "iaf_psc_alpha" => IAF_PARAMS,
        "iaf_cond_alpha" => COND_PARAMS,
        "aeif_cond_exp" => AEIF_PARAMS,
        _ => {
            return Err(BuildError::at(
                "model",
                format!("neuron model `{model}` is not available yet"),
            )
            .hint("available: iaf_psc_alpha, iaf_cond_alpha, aeif_cond_exp"))
        }
    };
    let np = p.number_table("neuron_params")?;
    let params = ParamSet::from_overrides(&model, table, np.iter().map(|(k, v)| (k.as_str(), *v)))
        .map_err(|e| match &e {
            brainstream_models::ModelError::UnknownParameter { name, .. }
            | brainstream_models::ModelError::ParameterOutOfRange { name, .. } => {
                BuildError::at(format!("neuron_params.{name}"), e.to_string())
            }
            _ => BuildError::at("neuron_params", e.to_string()),
        })?;
    let bad = |e: brainstream_models::ModelError| BuildError::at("neuron_params", e.to_string());
    let solver_name = p.str("solver")?;
    let solver = match (Solver::named(&solver_name), model.as_str()) {
        (Some(s), "iaf_cond_alpha") => s,
        (Some(s), _) if s == Solver::default() => s,
        (Some(_), _) => {
            return Err(BuildError::at(
                "solver",
                format!("solver `{solver_name}` is for iaf_cond_alpha only, not {model}"),
            )
            .hint("leave `solver` out (NEST's RKF45) for this model"))
        }
        (None, _) => {
            return Err(
                BuildError::at("solver", format!("unknown solver `{solver_name}`"))
                    .hint("rkf45 (NEST's, the default) or rk4"),
            )
        }
    };
    let template = match model.as_str() {
        "iaf_psc_alpha" => Neurons::PscAlpha(IafPscAlpha::new(1, &params, ctx.dt_ms).map_err(bad)?),
        "iaf_cond_alpha" => Neurons::CondAlpha(
            IafCondAlpha::new(1, &params, ctx.dt_ms)
                .map_err(bad)?
                .with_solver(solver),
        ),
        _ => Neurons::AeifCondExp(AeifCondExp::new(1, &params, ctx.dt_ms).map_err(bad)?),
    };
    let (regions, pops) = crate::util::regions_and_populations(p)?;
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
    let mut projections = vec![];
    for (k, c) in p.tables("connections")?.into_iter().enumerate() {
        let at = format!("connections[{k}]");
        only(
            c,
            &["from", "to", "rule", "indegree", "p", "weight", "delay_ms"],
            &at,
        )?;
        let from = pop_index(text(c, "from", &at)?, format!("{at}.from"))?;
        let to = pop_index(text(c, "to", &at)?, format!("{at}.to"))?;
        let rule = match text(c, "rule", &at)? {
            "all_to_all" => Rule::AllToAll,
            "fixed_indegree" => Rule::FixedIndegree(count(c, "indegree", &at)?),
            "pairwise_bernoulli" => {
                let pr = num(c, "p", &at)?;
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
                    BuildError::at(format!("{at}.rule"), format!("unknown rule `{other}`"))
                        .hint("all_to_all, fixed_indegree or pairwise_bernoulli"),
                )
            }
        };
        let delay_ms = dist(c, "delay_ms", &at)?;
        if let Dist::Constant(d) = delay_ms {
            if d < ctx.dt_ms - 1e-12 {
                return Err(BuildError::at(
                    format!("{at}.delay_ms"),
                    format!("{d} ms is shorter than one step ({} ms)", ctx.dt_ms),
                ));
            }
        }
        projections.push(Projection {
            from,
            to,
            rule,
            weight: dist(c, "weight", &at)?,
            delay_ms,
        });
    }
    let background = match p.table("background")? {
        None => None,
        Some(b) => {
            only(
                b,
                &["rate_hz", "weight", "delay_ms", "populations"],
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
    let input = match p.table("input")? {
        None => None,
        Some(t) => Some(InputSpec::parse(t, ctx, &regions, &pop_index)?),
    };
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
    Ok(Box::new(SpikingNetwork {
        name: ctx.name.to_string(),
        template,
        regions,
        pops,
        projections,
        background,
        input,
        v_m_init,
        threads: p.i64("threads")? as usize,
        current_targets,
        vm_meta: Arc::new(SeriesMeta::new(
            vec!["V_m".into()],
            record.iter().map(|i| format!("neuron{i}")).collect(),
            "mV",
        )),
        record,
        dt: ctx.dt_ms,
        net: None,
        pop_first: vec![],
        fanout: None,
        meta,
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

impl Actor for SpikingNetwork {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let regions = self.regions.len() as f64;
        let per_region: usize = self.pops.iter().map(|p| p.1).sum();
        let neurons = regions * per_region as f64;
        let size = |p: usize| self.pops[p].1 as f64;
        let synapses: f64 = regions
            * self
                .projections
                .iter()
                .map(|pr| match pr.rule {
                    Rule::AllToAll => size(pr.from) * size(pr.to),
                    Rule::FixedIndegree(k) => k as f64 * size(pr.to),
                    Rule::PairwiseBernoulli(p) => p * size(pr.from) * size(pr.to),
                })
                .sum::<f64>();
        let n = self.regions.len() * per_region;
        Ok(Footprint {
            memory_bytes: neurons * BYTES_PER_NEURON + synapses * BYTES_PER_SYNAPSE,
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
        let mut net =
            Network::new(&all, &self.template, self.dt, ctx.seed).map_err(ActorError::new)?;
        let np = self.pops.len();
        for reg in 0..r {
            for pr in &self.projections {
                net.connect_dist(
                    reg * np + pr.from,
                    reg * np + pr.to,
                    pr.rule,
                    pr.weight,
                    pr.delay_ms,
                )
                .map_err(ActorError::new)?;
            }
            if let Some((rate, w, d, targets)) = &self.background {
                for &t in targets {
                    net.background(reg * np + t, *rate, *w, *d)
                        .map_err(ActorError::new)?;
                }
            }
        }
        if let Some((lo, hi)) = self.v_m_init {
            net.randomize_v_m(lo, hi);
        }
        // input spikes of a whole window are scheduled at its start
        net.reserve_input_horizon(ctx.window_steps as usize + 65);
        if let Some(inp) = &self.input {
            net.reserve_input_horizon(inp.horizon(ctx.window_steps as usize));
            let mut rng = rand::rngs::StdRng::seed_from_u64(ctx.seed ^ 0x5eed_1277);
            self.fanout = Some(inp.wire(ctx, net.populations(), np, &mut rng)?);
        }
        net.build();
        self.threads = match self.threads {
            0 => {
                let heavy = matches!(
                    self.template,
                    Neurons::CondAlpha(_) | Neurons::AeifCondExp(_)
                ) && net.len() >= 500;
                if heavy {
                    std::thread::available_parallelism()
                        .map(|n| n.get())
                        .unwrap_or(1)
                        .min(4)
                } else {
                    1
                }
            }
            t => t,
        };
        self.pop_first = net.populations().iter().map(|p| p.first).collect();
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
        if let (Some(sp), None) = (input, &self.input) {
            if !sp.senders.is_empty() {
                return Err(ActorError::new(format!(
                    "`{}` receives spikes on spikes_in but has no `input` table saying where they go",
                    self.name
                )));
            }
        }
        let r = self.regions.len();
        let np = self.pops.len();
        let steps = w.n_steps as usize;
        let mut rates = Array3::zeros((steps, np, r));
        let mut spikes = Spikes::default();
        // the window's input spikes: stamped k, they act in step k + s
        if let (Some(sp), Some(fanout)) = (input, &self.fanout) {
            fanout.schedule(&self.name, sp, w, net)?;
        }
        // currents: a sample stamped j arrives in step j
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
                            net.inject_current(t, i, (stamp - w.start_step) as usize)
                                .map_err(ActorError::new)?;
                        }
                    }
                }
            }
        }
        let firsts: &[usize] = &self.pop_first;
        let record = &self.record;
        let mut vm = Array3::zeros((if record.is_empty() { 0 } else { steps }, 1, record.len()));
        // recording V_m needs the neurons after every step: one thread
        let threads = if record.is_empty() { self.threads } else { 1 };
        net.run_observed(steps, threads, |step, fired, neurons| {
            if !record.is_empty() {
                let s = (step - w.start_step) as usize;
                for (j, &i) in record.iter().enumerate() {
                    vm[[s, 0, j]] = neurons.v_m(i);
                }
            }
            let s = (step - w.start_step) as usize;
            for &i in fired {
                // populations are contiguous; find by binary search on `first`
                let pi = firsts.partition_point(|&f| f <= i as usize) - 1;
                rates[[s, pi % np, pi / np]] += 1.0;
                spikes.senders.push(i);
                spikes.stamps.push(step);
                spikes.times_ms.push((step + 1) as f64 * w.dt_ms);
            }
        });
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
