//! How proxy spike trains on `spikes_in` reach a spiking network's neurons:
//! the `input` table, in tvb-multiscale's two coupling modes.
//!
//! * `coupling = "tvb"` (default): one group of `trains_per_region` trains
//!   per spiking region, fed by the delayed coupling the mean field computes
//!   for that region (`mean_field.coupling` → `poisson_spikes`). Train
//!   `r·T + k` belongs to region `r`; every neuron of the `targets`
//!   populations draws `indegree` of its region's trains, weight `weight`,
//!   delay `delay_ms` (≥ one step).
//! * `coupling = "spiking"`: one group of `trains_per_region` trains per
//!   region of the connectome, fed by that region's own state, undelayed
//!   (`mean_field.state` → `poisson_spikes`, train `j·T + k` of region j).
//!   The connectome is applied here, as NEST synapses: every neuron of the
//!   `targets` populations of spiking region i draws `indegree` trains of
//!   each source region j with w_ij > 0 (j not simulated here: proxy nodes
//!   are exclusive), with weight `weight`·w_ij and total delay
//!   d_ij = rint(L_ij / speed / dt) steps, TVB's delay. The edge into
//!   `spikes_in` already delays the trains by D steps, so the synapse adds
//!   d_ij − D ≥ 1 steps: a train drawn from the state stamped m acts in step
//!   m + d_ij, the step whose coupling TVB computes from that state.
//!
//! `receptor` (default 0) is NEST's receptor_type of every synapse the
//! table draws, or, in the spiking mode, `"source"`: receptor j + 1 for the
//! trains of connectome region j, as tvb-multiscale's Deco 2014 builder
//! sends each non-spiking region's proxy to its own AMPA_ext receptor
//! (`iaf_cond_ww_deco` with `n_receptors` ≥ the connectome's regions).
//!
//! An input spike stamped k (as seen after the edge's delay) over a synapse
//! of delay s acts in step k + s.
//!
//! `synapse` (default static) makes every synapse the table draws a plastic
//! one, as `connections[k].synapse` does (`tsodyks2_synapse` or
//! `stdp_synapse`, each synapse with a state of its own): the draws are the
//! static table's, and the synapses are handed to the input ports'
//! ([`PortSynapses::add_input`]) on `spikes_in`, where a spike's time is
//! the sender's (its stamp less the edge's delay).

use brainstream_models::connectivity::Connectivity;
use brainstream_models::spiking::{Dist, Network, Population, Synapse};
use brainstream_runtime::{ActorError, BuildCtx, BuildError, RunContext, Spikes, WindowInfo};
use rand::Rng;

#[cfg(doc)]
use super::connections::PortSynapses;
use super::connections::{check_stdp_weight, synapse};
use super::grid::Grid;
use super::regions::ReceptorSpec;
use super::{count, num, only};

/// The parsed `input` table.
pub(super) struct InputSpec {
    trains: usize,
    targets: Vec<usize>,
    indegree: usize,
    weight: f64,
    coupling: Coupling,
    /// `None`: static synapses
    synapse: Option<Synapse>,
    /// NEST's receptor_type of the targets, or by the source region
    /// (spiking mode)
    receptor: ReceptorSpec,
}

enum Coupling {
    /// One train group per spiking region, one delay.
    Tvb { delay_steps: usize },
    /// One train group per connectome region; weights and delays of the
    /// connectome. `nodes[r]`: spiking region r's index in it.
    Spiking {
        conn: Box<Connectivity>,
        delays: Vec<usize>,
        nodes: Vec<usize>,
    },
}

/// The synapses of every input train: per train, groups of target neurons
/// sharing one weight and one synaptic delay (steps): one group in the tvb
/// mode, one per spiking region it reaches in the spiking mode.
pub(super) struct Fanout {
    trains: Vec<Vec<Group>>,
}

struct Group {
    weight: f64,
    delay: u32,
    neurons: Vec<u32>,
    receptor: usize,
}

impl InputSpec {
    /// Parses the `input` table of a network of `regions` stepping by `h`
    /// ms; `pop_index` resolves a population name (and says where it was
    /// named).
    pub(super) fn parse(
        t: &toml::Table,
        ctx: &BuildCtx,
        h: f64,
        regions: &[String],
        pop_index: &dyn Fn(&str, String) -> Result<usize, BuildError>,
        model: &'static brainstream_models::spiking::NeuronInfo,
    ) -> Result<Self, BuildError> {
        let mode = match t.get("coupling") {
            None => "tvb",
            Some(toml::Value::String(s)) => s.as_str(),
            Some(v) => {
                return Err(BuildError::at(
                    "input.coupling",
                    format!("expected \"tvb\" or \"spiking\", got {v}"),
                ))
            }
        };
        let common = [
            "coupling",
            "trains_per_region",
            "targets",
            "indegree",
            "weight",
            "synapse",
            "receptor",
        ];
        let targets = match t.get("targets") {
            Some(toml::Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, x)| match x.as_str() {
                    Some(s) => pop_index(s, format!("input.targets[{i}]")),
                    None => Err(BuildError::at(
                        format!("input.targets[{i}]"),
                        "expected a population name",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(BuildError::at(
                    "input",
                    "missing `targets` (a list of population names)",
                ))
            }
        };
        let trains = count(t, "trains_per_region", "input")?;
        if trains == 0 {
            return Err(BuildError::at(
                "input.trains_per_region",
                "must be at least 1",
            ));
        }
        let coupling = match mode {
            "tvb" => {
                only(t, &[&common[..], &["delay_ms"]].concat(), "input")?;
                let delay = num(t, "delay_ms", "input")?;
                let delay_steps = (delay / h).round() as usize;
                if !(1..=64).contains(&delay_steps) {
                    return Err(BuildError::at(
                        "input.delay_ms",
                        format!("{delay} ms must be between one step and 64 steps"),
                    ));
                }
                Coupling::Tvb { delay_steps }
            }
            "spiking" => {
                if t.contains_key("delay_ms") {
                    return Err(BuildError::at(
                        "input.delay_ms",
                        "with coupling = \"spiking\" the delays are the connectome's (tract length / speed)",
                    )
                    .hint("leave delay_ms out; set speed_mm_per_ms (default 3.0) instead"));
                }
                only(
                    t,
                    &[&common[..], &["connectivity", "speed_mm_per_ms"]].concat(),
                    "input",
                )?;
                let spec = match t.get("connectivity") {
                    None => "builtin:tvb76",
                    Some(toml::Value::String(s)) => s.as_str(),
                    Some(v) => {
                        return Err(BuildError::at(
                            "input.connectivity",
                            format!("expected a path, got {v}"),
                        ))
                    }
                };
                let conn = Connectivity::load(spec, ctx.params.base_dir())
                    .map_err(|e| BuildError::at("input.connectivity", e.to_string()))?;
                let speed = match t.get("speed_mm_per_ms") {
                    None => 3.0,
                    Some(_) => num(t, "speed_mm_per_ms", "input")?,
                };
                let delays = conn
                    .delays_steps(speed, h)
                    .map_err(|e| BuildError::at("input.speed_mm_per_ms", e.to_string()))?;
                let nodes = regions
                    .iter()
                    .map(|r| {
                        conn.labels.iter().position(|l| l == r).ok_or_else(|| {
                            BuildError::at(
                                "regions",
                                format!("region `{r}` is not in the connectome {}", conn.source),
                            )
                            .hint("coupling = \"spiking\" needs the spiking regions' labels as the connectome names them")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Coupling::Spiking {
                    conn: Box::new(conn),
                    delays,
                    nodes,
                }
            }
            other => {
                return Err(BuildError::at(
                    "input.coupling",
                    format!("unknown coupling mode `{other}`"),
                )
                .hint("tvb (one train group per spiking region, fed by the mean field's coupling) or spiking (one per connectome region, connectome weights and delays here)"))
            }
        };
        let weight = num(t, "weight", "input")?;
        let synapse = synapse(t, "input")?;
        // in the spiking mode the weights are weight·w_ij, w_ij > 0: the sign is weight's
        check_stdp_weight(&synapse, &Dist::Constant(weight), "input")?;
        let receptor = ReceptorSpec::parse(t, "input")?;
        // the receptors the table reaches: a number, or one per source
        // region of the connectome with a tract into a spiking region
        let reached: Vec<usize> = match (&coupling, receptor) {
            (Coupling::Tvb { .. }, ReceptorSpec::Source) => {
                return Err(BuildError::at(
                    "input.receptor",
                    "\"source\" numbers the receptors by connectome region: coupling = \"tvb\" has one train group per spiking region",
                )
                .hint("coupling = \"spiking\", or a receptor number"))
            }
            (_, ReceptorSpec::Fixed(r)) => vec![r],
            (Coupling::Spiking { conn, nodes, .. }, ReceptorSpec::Source) => (0..conn.n)
                .filter(|&j| {
                    !nodes.contains(&j) && nodes.iter().any(|&i| conn.weights[i * conn.n + j] != 0.0)
                })
                .map(|j| receptor.of(j))
                .collect(),
        };
        for &r in &reached {
            super::connections::check_receptor(model, r, &Dist::Constant(weight), "input")
                .map_err(|e| match receptor {
                    ReceptorSpec::Source => BuildError {
                        message: format!(
                            "{} (receptor = \"source\": connectome region {})",
                            e.message,
                            r - 1
                        ),
                        ..e
                    },
                    ReceptorSpec::Fixed(_) => e,
                })?;
            if r > 0 && synapse.is_some() {
                return Err(BuildError::at(
                    "input.receptor",
                    format!(
                        "receptor {r}: the input table's plastic synapses reach receptor 0 only"
                    ),
                ));
            }
        }
        Ok(Self {
            receptor,
            trains,
            targets,
            indegree: count(t, "indegree", "input")?,
            weight,
            coupling,
            synapse,
        })
    }

    /// The table's plastic synapse, if any.
    pub(super) fn synapse(&self) -> Option<Synapse> {
        self.synapse
    }

    /// Steps ahead of a window's start that input may reach: the window
    /// plus the longest synaptic delay.
    pub(super) fn horizon(&self, window_steps: usize) -> usize {
        match &self.coupling {
            Coupling::Tvb { delay_steps } => window_steps + delay_steps + 1,
            Coupling::Spiking {
                delays,
                nodes,
                conn,
                ..
            } => {
                let n = conn.n;
                let longest = nodes
                    .iter()
                    .flat_map(|&i| delays[i * n..(i + 1) * n].iter().copied())
                    .max()
                    .unwrap_or(0);
                window_steps + longest + 1
            }
        }
    }

    /// Draws the synapses of every train onto the populations `pops`
    /// (region-major, `np` per region), delays in steps of `grid.h`.
    pub(super) fn wire(
        &self,
        ctx: &RunContext,
        grid: Grid,
        pops: &[Population],
        np: usize,
        rng: &mut impl Rng,
    ) -> Result<Fanout, ActorError> {
        let mut fanout;
        match &self.coupling {
            Coupling::Tvb { delay_steps } => {
                let regions = pops.len() / np.max(1);
                fanout = Fanout::new(regions * self.trains);
                for reg in 0..regions {
                    let delay = *delay_steps as u32;
                    let receptor = self.receptor.of(reg);
                    let wr = (self.weight, receptor);
                    self.draw(&mut fanout, &pops[reg * np..], reg, wr, delay, rng);
                }
            }
            Coupling::Spiking {
                conn,
                delays,
                nodes,
            } => {
                let n = conn.n;
                // the trains arrive already delayed by the edge into spikes_in
                let edge = grid.steps(ctx.delays_into("spikes_in").min().unwrap_or(0));
                fanout = Fanout::new(n * self.trains);
                for (reg, &i) in nodes.iter().enumerate() {
                    for j in 0..n {
                        let w = conn.weights[i * n + j];
                        // connectome weights are ≥ 0 (checked when loaded):
                        // a zero is no tract; the sign of `weight` chooses
                        // the synapse, as NEST's
                        if w == 0.0 || nodes.contains(&j) {
                            continue;
                        }
                        let d = delays[i * n + j];
                        if d <= edge {
                            return Err(ActorError::new(format!(
                                "`{}`: the connectome delay from {} to {} is {} ms ({d} steps), not longer than the edge into spikes_in ({} ms): that input would act before it was sent",
                                ctx.name,
                                conn.labels[j],
                                conn.labels[i],
                                d as f64 * grid.h,
                                edge as f64 * grid.h
                            )));
                        }
                        let delay = (d - edge) as u32;
                        self.draw(
                            &mut fanout,
                            &pops[reg * np..],
                            j,
                            (self.weight * w, self.receptor.of(j)),
                            delay,
                            rng,
                        );
                    }
                }
            }
        }
        Ok(fanout)
    }

    /// Every neuron of the `targets` populations of one region (`pops`
    /// starts at its first population) draws `indegree` of the trains of
    /// group `source` (`source·T .. (source+1)·T`), with `weight`, onto
    /// `receptor`, after the synaptic `delay`.
    fn draw(
        &self,
        fanout: &mut Fanout,
        pops: &[Population],
        source: usize,
        (weight, receptor): (f64, usize),
        delay: u32,
        rng: &mut impl Rng,
    ) {
        let first = source * self.trains;
        let groups = first..first + self.trains;
        for train in &mut fanout.trains[groups.clone()] {
            train.push(Group {
                weight,
                delay,
                neurons: vec![],
                receptor,
            });
        }
        for &t in &self.targets {
            let pop = &pops[t];
            for neuron in pop.first..pop.first + pop.size {
                for _ in 0..self.indegree {
                    let train = first + rng.gen_range(0..self.trains);
                    if let Some(g) = fanout.trains[train].last_mut() {
                        g.neurons.push(neuron as u32);
                    }
                }
            }
        }
        for train in &mut fanout.trains[groups] {
            if train.last().is_some_and(|g| g.neurons.is_empty()) {
                train.pop();
            }
        }
    }
}

impl Fanout {
    fn new(trains: usize) -> Self {
        Self {
            trains: (0..trains).map(|_| vec![]).collect(),
        }
    }

    /// Every synapse: (train, neuron, weight, delay in steps).
    pub(super) fn synapses(&self) -> impl Iterator<Item = (u32, u32, f64, u32)> + '_ {
        self.trains.iter().enumerate().flat_map(|(train, groups)| {
            groups.iter().flat_map(move |g| {
                g.neurons
                    .iter()
                    .map(move |&n| (train as u32, n, g.weight, g.delay))
            })
        })
    }

    /// The senders of `sp` are trains of the table (for the plastic
    /// synapses, which schedule them elsewhere).
    pub(super) fn check_senders(&self, name: &str, sp: &Spikes) -> Result<(), ActorError> {
        match sp
            .senders
            .iter()
            .find(|&&s| s as usize >= self.trains.len())
        {
            None => Ok(()),
            Some(&train) => Err(self.unknown_train(name, train as usize)),
        }
    }

    fn unknown_train(&self, name: &str, train: usize) -> ActorError {
        ActorError::new(format!(
            "input spike from train {train}, but `{name}` has {} input trains (input.trains_per_region must match the sender's trains_per_node)",
            self.trains.len()
        ))
    }

    /// Schedules the input spikes of window `w` into `net` (at the window's
    /// start): a spike stamped k acts in step k + s of each of its synapses.
    pub(super) fn schedule(
        &self,
        name: &str,
        sp: &Spikes,
        w: &WindowInfo,
        grid: Grid,
        net: &mut Network,
    ) -> Result<(), ActorError> {
        for (k, &stamp) in sp.stamps.iter().enumerate() {
            if !w.contains(stamp) {
                continue;
            }
            let train = sp.senders[k] as usize;
            let groups = self
                .trains
                .get(train)
                .ok_or_else(|| self.unknown_train(name, train))?;
            let at = grid.offset(stamp, w);
            for g in groups {
                for &t in &g.neurons {
                    net.inject_receptor(t as usize, g.weight, at + g.delay as usize, g.receptor)
                        .map_err(|e| ActorError::new(format!("`{name}`: input: {e}")))?;
                }
            }
        }
        Ok(())
    }
}
