//! A network of spiking populations with static synapses and delays, as NEST
//! builds and steps it.
//!
//! * Populations of neurons ([`Neuron`]: any built-in model, its own
//!   parameters per population); neurons have global ids `0..N` in
//!   population order.
//! * Static synapses (weight in pA, delay in whole steps ≥ 1), made by NEST's
//!   rules: `all_to_all`, `fixed_indegree` (K sources drawn uniformly, with
//!   repetition, per target), `pairwise_bernoulli` (each pair with p).
//!   Autapses and multapses are allowed, as NEST's defaults.
//! * Delivery through a ring buffer of `max_delay + 1` slots per neuron: a
//!   spike emitted in step `k` (stamped `(k+1)·h`) over a synapse of delay
//!   `d` steps acts in step `k + d`, exactly NEST's timing.
//! * Plastic synapses: NEST's `tsodyks2_synapse` per connection
//!   ([`Tsodyks2`](super::Tsodyks2)), its state (u, x) updated when the source's spike is
//!   sent (time `(k+1)·h` in NEST's tics) and the scaled weight delivered
//!   after the delay, as NEST's `send`.
//! * Plastic synapses: NEST's `stdp_synapse` per connection ([`Stdp`](super::Stdp)):
//!   its weight updated when the source's spike is sent, from the spike
//!   archive of its target ([`Archive`], trace time constant `tau_minus`
//!   per population, [`Network::set_tau_minus`]), which records the
//!   target's spikes before the step's spikes are delivered (NEST updates
//!   every neuron of a slice before delivering its spikes).
//! * Background: per population, independent Poisson trains per neuron
//!   (NEST's `poisson_generator`: spike count per step ~ Poisson(rate·h)),
//!   with a weight and delay.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Poisson};

use super::neuron::{Neuron, NeuronInfo};
use super::stdp::{nest_delay_ms, Archive};
use super::synapse::{SynState, Synapse};
use super::tsodyks2::{nest_ms, tics_per_step};
use crate::error::ModelError;

/// The neurons of a network: one block of one model and parameter set per
/// population (or per run of populations sharing a template), neurons
/// numbered contiguously across blocks.
#[derive(Debug, Clone)]
pub struct Neurons {
    /// (first global id, neurons), in id order
    blocks: Vec<(usize, Box<dyn Neuron>)>,
    n: usize,
}

impl Neurons {
    /// Blocks of the given sizes, each `template` resized.
    fn new(parts: &[(usize, &dyn Neuron)]) -> Self {
        let mut blocks = vec![];
        let mut first = 0;
        for &(size, template) in parts {
            blocks.push((first, template.resized(size)));
            first += size;
        }
        Self { blocks, n: first }
    }
    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.n
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// The block holding neuron `i` and `i`'s index in it.
    fn find(&self, i: usize) -> (usize, usize) {
        let b = self.blocks.partition_point(|(f, _)| *f <= i) - 1;
        (b, i - self.blocks[b].0)
    }
    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        let (b, k) = self.find(i);
        self.blocks[b].1.v_m(k)
    }
    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        let (b, k) = self.find(i);
        self.blocks[b].1.set_v_m(k, v)
    }
    /// The model of the block holding neuron `i`.
    pub fn info(&self, i: usize) -> &'static NeuronInfo {
        self.blocks[self.find(i).0].1.info()
    }
    /// Whether any block's step is costly ([`NeuronInfo::heavy_step`]).
    pub fn heavy_step(&self) -> bool {
        self.blocks.iter().any(|(_, b)| b.info().heavy_step)
    }
    /// The neurons `r` as blocks of their own, numbered from 0.
    fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        let mut blocks = vec![];
        for (first, b) in &self.blocks {
            let (lo, hi) = (r.start.max(*first), r.end.min(first + b.len()));
            if lo < hi {
                blocks.push((lo - r.start, b.take_range(lo - first..hi - first)));
            }
        }
        Self {
            blocks,
            n: r.end - r.start,
        }
    }
    /// Writes back a part taken with `take_range(start..)`.
    fn put_range(&mut self, start: usize, part: &Self) {
        for (pf, p) in &part.blocks {
            let (b, k) = self.find(start + pf);
            self.blocks[b].1.put_range(k, p.as_ref());
        }
    }
    /// Receptors beyond 0 of the model with the most ([`Neuron::extra_receptors`]).
    fn extra_receptors(&self) -> usize {
        self.blocks
            .iter()
            .map(|(_, b)| b.extra_receptors())
            .max()
            .unwrap_or(0)
    }
    /// One step of every block: `rec` holds `rec_n` values per neuron
    /// (receptors 1..=rec_n; empty when `rec_n` is 0).
    fn step(
        &mut self,
        syn: &[(f64, f64)],
        rec: &[f64],
        rec_n: usize,
        current: Option<&[f64]>,
        fired: &mut Vec<u32>,
    ) {
        for (first, b) in &mut self.blocks {
            let r = *first..*first + b.len();
            let from = fired.len();
            if rec_n > 0 {
                let rr = &rec[r.start * rec_n..r.end * rec_n];
                b.step_receptors(&syn[r.clone()], rr, rec_n, current.map(|c| &c[r]), fired);
            } else {
                b.step(&syn[r.clone()], current.map(|c| &c[r]), fired);
            }
            if *first > 0 {
                for f in &mut fired[from..] {
                    *f += *first as u32;
                }
            }
        }
    }
}

/// No plastic synapse (an index into nothing).
const STATIC: u32 = u32::MAX;

/// A Poisson(λ) count by inversion (exact; fast for small λ).
fn poisson_small(rng: &mut impl Rng, lam: f64, exp_neg: f64) -> f64 {
    let u: f64 = rng.gen();
    let (mut k, mut p, mut s) = (0.0f64, exp_neg, exp_neg);
    while u > s && k < 1000.0 {
        k += 1.0;
        p *= lam / k;
        s += p;
    }
    k
}

/// A constant or a distribution of synaptic weights or delays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    Constant(f64),
    /// Normal(mean, std).
    Normal {
        mean: f64,
        std: f64,
    },
    /// Uniform in [low, high).
    Uniform {
        low: f64,
        high: f64,
    },
}

impl Dist {
    /// Whether finite and well-formed; the error names `what`.
    pub fn check(&self, what: &str) -> Result<(), ModelError> {
        let ok = match *self {
            Dist::Constant(v) => v.is_finite(),
            Dist::Normal { mean, std } => mean.is_finite() && std.is_finite() && std >= 0.0,
            Dist::Uniform { low, high } => low.is_finite() && high.is_finite() && low < high,
        };
        if ok {
            Ok(())
        } else {
            Err(ModelError::Config(format!(
                "{what}: {self:?} is not a valid constant or distribution"
            )))
        }
    }

    /// One draw (a constant is itself).
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match *self {
            Dist::Constant(v) => v,
            Dist::Normal { mean, std } => {
                let z: f64 = rand_distr::StandardNormal.sample(rng);
                mean + std * z
            }
            Dist::Uniform { low, high } => rng.gen_range(low..high),
        }
    }
}

/// How sources and targets are paired for a projection (NEST's rules;
/// autapses and multapses allowed, NEST's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Every source to every target.
    AllToAll,
    /// Source i to target i (as many sources as targets).
    OneToOne,
    /// Every target draws K sources uniformly, with repetition.
    FixedIndegree(usize),
    /// Every source draws K targets uniformly, with repetition.
    FixedOutdegree(usize),
    /// Every (source, target) pair with probability p.
    PairwiseBernoulli(f64),
}

impl Rule {
    /// The (source, target) index pairs for `n_src` sources and `n_dst`
    /// targets, drawn from `rng` in NEST's loop order (targets outer,
    /// except `fixed_outdegree`: sources outer). `one_to_one` needs
    /// `n_src == n_dst`.
    pub fn pairs(
        &self,
        n_src: usize,
        n_dst: usize,
        rng: &mut impl Rng,
    ) -> Result<Vec<(usize, usize)>, ModelError> {
        let mut pairs = vec![];
        match *self {
            Rule::AllToAll => {
                for t in 0..n_dst {
                    for s in 0..n_src {
                        pairs.push((s, t));
                    }
                }
            }
            Rule::OneToOne => {
                if n_src != n_dst {
                    return Err(ModelError::Config(format!(
                        "one_to_one needs as many sources as targets, got {n_src} and {n_dst}"
                    )));
                }
                pairs.extend((0..n_dst).map(|i| (i, i)));
            }
            Rule::FixedIndegree(k) => {
                if n_src > 0 {
                    for t in 0..n_dst {
                        for _ in 0..k {
                            pairs.push((rng.gen_range(0..n_src), t));
                        }
                    }
                }
            }
            Rule::FixedOutdegree(k) => {
                if n_dst > 0 {
                    for s in 0..n_src {
                        for _ in 0..k {
                            pairs.push((s, rng.gen_range(0..n_dst)));
                        }
                    }
                }
            }
            Rule::PairwiseBernoulli(p) => {
                if !(0.0..=1.0).contains(&p) {
                    return Err(ModelError::Config(format!(
                        "connection probability {p} is outside [0, 1]"
                    )));
                }
                for t in 0..n_dst {
                    for s in 0..n_src {
                        if rng.gen::<f64>() < p {
                            pairs.push((s, t));
                        }
                    }
                }
            }
        }
        Ok(pairs)
    }

    /// Expected number of synapses, for memory estimates.
    pub fn expected_synapses(&self, n_src: usize, n_dst: usize) -> f64 {
        match *self {
            Rule::AllToAll => n_src as f64 * n_dst as f64,
            Rule::OneToOne => n_dst as f64,
            Rule::FixedIndegree(k) => k as f64 * n_dst as f64,
            Rule::FixedOutdegree(k) => k as f64 * n_src as f64,
            Rule::PairwiseBernoulli(p) => p * n_src as f64 * n_dst as f64,
        }
    }
}

/// A population.
#[derive(Debug, Clone)]
pub struct Population {
    pub name: String,
    pub first: usize,
    pub size: usize,
}

/// The network.
#[derive(Debug, Clone)]
pub struct Network {
    neurons: Neurons,
    pops: Vec<Population>,
    h: f64,
    /// outgoing synapses per source: CSR
    out_start: Vec<usize>,
    out_target: Vec<u32>,
    out_weight: Vec<f64>,
    out_delay: Vec<u16>,
    /// per synapse: index into `plastic` (`STATIC`: a static synapse);
    /// empty when every synapse is static
    out_plastic: Vec<u32>,
    /// the plastic synapses' states and the index of their parameters
    plastic: Vec<(SynState, u32)>,
    /// the parameters of the plastic synapses, one per `connect` call
    plastic_params: Vec<Synapse>,
    /// per neuron: the spike archive STDP synapses read (empty when no
    /// synapse is `stdp_synapse`)
    archives: Vec<Archive>,
    /// per population: τ₋ of its neurons' archives, ms (NEST: 20)
    tau_minus: Vec<f64>,
    /// the shortest synaptic delay, ms (for pruning the archives), plus
    /// the longest lag of an external STDP synapse
    min_delay_ms: f64,
    /// building: STDP synapses from outside the network (input trains):
    /// (target, weight, delay steps, index into `plastic_params`, lag steps)
    ext_pending: Vec<(u32, f64, u16, u32, u64)>,
    /// external STDP synapses: (index into `plastic`, target, delay steps)
    ext: Vec<(u32, u32, u16)>,
    /// external spikes to send: by step, (external synapse, spike time ms,
    /// steps from that step to the one it acts in)
    ext_queue: std::collections::BTreeMap<u64, Vec<(u32, f64, usize)>>,
    /// NEST tics per step, for the plastic synapses' spike times
    tics: u64,
    /// building: (source, target, weight, delay, index into
    /// `plastic_params` or `STATIC`, receptor)
    pending: Vec<(u32, u32, f64, u16, u32, u16)>,
    /// per synapse: its receptor (NEST's receptor_type); empty when every
    /// synapse targets receptor 0
    out_receptor: Vec<u16>,
    /// receptors beyond 0 of the model with the most (0: none)
    rec_n: usize,
    /// ring of the weights delivered to receptors 1..=rec_n, per step slot,
    /// neuron and receptor (empty when rec_n = 0)
    rec_ring: Vec<f64>,
    /// per population: the receptor of its background drive
    background_receptor: Vec<u16>,
    /// ring of (excitatory, inhibitory) input per step slot and neuron
    ring: Vec<(f64, f64)>,
    /// ring of current input (pA) per step slot and neuron, if any
    cur_ring: Vec<f64>,
    slots: usize,
    /// background Poisson drive per population: (rate per step, weight, delay)
    background: Vec<Option<(f64, f64, u16)>>,
    rng: crate::saved_rng::Xoshiro256pp,
    /// how far ahead `inject` may schedule (steps)
    input_horizon: usize,
    step: u64,
    fired: Vec<u32>,
}

impl Network {
    /// Populations `(name, size)` of identical neurons (a template with the
    /// right parameters), step `h` ms, random stream `seed`.
    pub fn new(
        pops: &[(String, usize)],
        template: &dyn Neuron,
        h: f64,
        seed: u64,
    ) -> Result<Self, ModelError> {
        let templates: Vec<&dyn Neuron> = vec![template; pops.len()];
        Self::with_templates(pops, &templates, h, seed)
    }

    /// Populations `(name, size)`, population `p` of neurons like
    /// `templates[p]` (any model, its own parameters), step `h` ms, random
    /// stream `seed`.
    pub fn with_templates(
        pops: &[(String, usize)],
        templates: &[&dyn Neuron],
        h: f64,
        seed: u64,
    ) -> Result<Self, ModelError> {
        if templates.len() != pops.len() {
            return Err(ModelError::Config(format!(
                "{} neuron templates for {} populations",
                templates.len(),
                pops.len()
            )));
        }
        let mut list = vec![];
        let mut first = 0;
        for (name, size) in pops {
            if *size == 0 {
                return Err(ModelError::Config(format!("population `{name}` is empty")));
            }
            list.push(Population {
                name: name.clone(),
                first,
                size: *size,
            });
            first += size;
        }
        let n = first;
        let mut neurons = Neurons::new(
            &pops
                .iter()
                .zip(templates)
                .map(|((_, size), t)| (*size, *t))
                .collect::<Vec<_>>(),
        );
        for (first, b) in &mut neurons.blocks {
            b.seed_noise(seed, *first);
        }
        let rec_n = neurons.extra_receptors();
        Ok(Self {
            rec_n,
            neurons,
            pops: list,
            h,
            out_start: vec![0; n + 1],
            out_target: vec![],
            out_weight: vec![],
            out_delay: vec![],
            out_plastic: vec![],
            plastic: vec![],
            plastic_params: vec![],
            archives: vec![],
            tau_minus: vec![super::stdp::TAU_MINUS.default; pops.len()],
            min_delay_ms: h,
            ext_pending: vec![],
            ext: vec![],
            ext_queue: Default::default(),
            tics: 0,
            pending: vec![],
            out_receptor: vec![],
            rec_ring: vec![],
            background_receptor: vec![0; pops.len()],
            ring: vec![],
            cur_ring: vec![],
            slots: 0,
            background: vec![None; pops.len()],
            rng: crate::saved_rng::Xoshiro256pp::seed_from_u64(seed),
            input_horizon: 64,
            step: 0,
            fired: vec![],
        })
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.neurons.len()
    }

    /// Whether there is no neuron.
    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    /// The populations.
    pub fn populations(&self) -> &[Population] {
        &self.pops
    }

    /// Index of a population by name.
    pub fn population(&self, name: &str) -> Option<usize> {
        self.pops.iter().position(|p| p.name == name)
    }

    /// The neurons.
    pub fn neurons(&self) -> &Neurons {
        &self.neurons
    }

    /// Mutable neurons (e.g. to set initial potentials).
    pub fn neurons_mut(&mut self) -> &mut Neurons {
        &mut self.neurons
    }

    /// Sets every neuron's membrane potential uniformly in [lo, hi) mV from
    /// the network's random stream (NEST: `pop.V_m = nest.random.uniform(lo, hi)`).
    pub fn randomize_v_m(&mut self, lo: f64, hi: f64) {
        for i in 0..self.len() {
            let v = self.rng.gen_range(lo..hi);
            self.neurons.set_v_m(i, v);
        }
    }

    fn delay_steps(&self, delay_ms: f64) -> Result<u16, ModelError> {
        let d = (delay_ms / self.h).round();
        if !(delay_ms.is_finite() && (1.0..65535.0).contains(&d)) {
            return Err(ModelError::Config(format!(
                "synaptic delay {delay_ms} ms must be at least one step ({} ms)",
                self.h
            )));
        }
        Ok(d as u16)
    }

    /// Connects population `from` to population `to` by `rule`.
    pub fn connect(
        &mut self,
        from: usize,
        to: usize,
        rule: Rule,
        weight: f64,
        delay_ms: f64,
    ) -> Result<(), ModelError> {
        self.connect_dist(
            from,
            to,
            rule,
            Dist::Constant(weight),
            Dist::Constant(delay_ms),
        )
    }

    /// Connects with weights and delays (ms) drawn per synapse from `weight`
    /// and `delay_ms`; delays are rounded to whole steps, and drawn delays
    /// below one step are raised to one step (a constant delay below one
    /// step is an error).
    pub fn connect_dist(
        &mut self,
        from: usize,
        to: usize,
        rule: Rule,
        weight: Dist,
        delay_ms: Dist,
    ) -> Result<(), ModelError> {
        self.connect_synapse(from, to, rule, weight, delay_ms, None)
    }

    /// Sets τ₋ (ms) of the neurons of population `pop`: the time constant
    /// of the postsynaptic trace `stdp_synapse`s onto them read (NEST's
    /// neuron parameter `tau_minus`, default 20 ms); before `build`.
    pub fn set_tau_minus(&mut self, pop: usize, tau_minus: f64) -> Result<(), ModelError> {
        if !(tau_minus.is_finite() && tau_minus > 0.0) {
            return Err(ModelError::Config(format!(
                "tau_minus = {tau_minus} ms must be > 0"
            )));
        }
        self.tau_minus[pop] = tau_minus;
        Ok(())
    }

    /// As [`connect_dist`](Self::connect_dist), the synapses static
    /// (`None`) or plastic (NEST's `tsodyks2_synapse` or `stdp_synapse`)
    /// with the parameters and initial state `synapse`, each synapse with
    /// a state of its own.
    pub fn connect_synapse(
        &mut self,
        from: usize,
        to: usize,
        rule: Rule,
        weight: Dist,
        delay_ms: Dist,
        synapse: Option<Synapse>,
    ) -> Result<(), ModelError> {
        self.connect_receptor(from, to, rule, weight, delay_ms, synapse, 0)
    }

    /// Receptors beyond 0 of neuron `i`'s model ([`Neuron::extra_receptors`]).
    pub fn extra_receptors_of(&self, i: usize) -> usize {
        let (b, _) = self.neurons.find(i);
        self.neurons.blocks[b].1.extra_receptors()
    }

    /// Checks that population `pop`'s model has `receptor` (0, or one of
    /// its [`Neuron::extra_receptors`]).
    fn check_receptor(&self, pop: usize, receptor: usize) -> Result<(), ModelError> {
        if receptor == 0 {
            return Ok(());
        }
        let p = &self.pops[pop];
        let (b, _) = self.neurons.find(p.first);
        let block = &self.neurons.blocks[b].1;
        let n = block.extra_receptors();
        if receptor > n || receptor > u16::MAX as usize {
            return Err(ModelError::Config(format!(
                "receptor {receptor}: the {} neurons of population `{}` have {}",
                block.info().name,
                p.name,
                if n == 0 {
                    "receptor 0 only".to_string()
                } else {
                    format!("receptors 0..={n}")
                }
            )));
        }
        Ok(())
    }

    /// As [`connect_synapse`](Self::connect_synapse), onto receptor
    /// `receptor` of the targets (NEST's `receptor_type`): 0, whose weight's
    /// sign chooses the synapse, or one of the model's further receptors
    /// ([`Neuron::extra_receptors`]), which take weights ≥ 0 only.
    #[allow(clippy::too_many_arguments)]
    pub fn connect_receptor(
        &mut self,
        from: usize,
        to: usize,
        rule: Rule,
        weight: Dist,
        delay_ms: Dist,
        synapse: Option<Synapse>,
        receptor: usize,
    ) -> Result<(), ModelError> {
        self.check_receptor(to, receptor)?;
        weight.check("weight")?;
        delay_ms.check("delay")?;
        if let Dist::Constant(d) = delay_ms {
            self.delay_steps(d)?;
        }
        if let Rule::PairwiseBernoulli(p) = rule {
            if !(0.0..=1.0).contains(&p) {
                return Err(ModelError::Config(format!(
                    "connection probability {p} is outside [0, 1]"
                )));
            }
        }
        let syn = match synapse {
            None => STATIC,
            Some(p) => {
                self.tics = tics_per_step(self.h)?;
                self.plastic_params.push(p);
                (self.plastic_params.len() - 1) as u32
            }
        };
        let (src, dst) = (self.pops[from].clone(), self.pops[to].clone());
        let pairs: Vec<(u32, u32)> = rule
            .pairs(src.size, dst.size, &mut self.rng)?
            .into_iter()
            .map(|(s, t)| ((src.first + s) as u32, (dst.first + t) as u32))
            .collect();
        for (s, t) in pairs {
            let w = weight.sample(&mut self.rng);
            if let Some(p) = &synapse {
                p.check_weight(w)?;
            }
            if receptor > 0 && w < 0.0 {
                return Err(ModelError::Config(format!(
                    "weight {w} onto receptor {receptor}: it takes weights ≥ 0 only"
                )));
            }
            let dm = delay_ms.sample(&mut self.rng).max(self.h);
            let d = self.delay_steps(dm)?;
            self.pending.push((s, t, w, d, syn, receptor as u16));
        }
        Ok(())
    }

    /// An `stdp_synapse` from outside the network (a device's train) onto
    /// neuron `target`, NEST's delay `delay_steps` from the sender's spike,
    /// its spikes sent up to `lag_steps` after their time
    /// ([`send_external`](Self::send_external)); before `build`. Returns
    /// its id.
    pub fn connect_external(
        &mut self,
        target: usize,
        weight: f64,
        delay_steps: usize,
        synapse: super::Stdp,
        lag_steps: u64,
    ) -> Result<u32, ModelError> {
        synapse.check_weight(weight)?;
        if !(1..65535).contains(&delay_steps) || target >= self.len() {
            return Err(ModelError::Config(format!(
                "external stdp_synapse onto neuron {target} of delay {delay_steps} steps: no such neuron or delay"
            )));
        }
        self.tics = tics_per_step(self.h)?;
        self.plastic_params.push(Synapse::Stdp(synapse));
        self.ext_pending.push((
            target as u32,
            weight,
            delay_steps as u16,
            (self.plastic_params.len() - 1) as u32,
            lag_steps,
        ));
        Ok((self.ext_pending.len() - 1) as u32)
    }

    /// A spike of time `t_spike` ms (NEST's stamp of its sender) over the
    /// external synapse `id`: sent (its weight updated from the target's
    /// spikes archived by then) in the step `process_ahead` steps from the
    /// current one, acting `act_ahead` steps from the current one
    /// (process_ahead < act_ahead < slots). The target's spikes it reads
    /// end a delay before `t_spike`: any step from the sender's on sees
    /// them all.
    pub fn send_external(
        &mut self,
        id: u32,
        t_spike: f64,
        process_ahead: usize,
        act_ahead: usize,
    ) -> Result<(), ModelError> {
        if id as usize >= self.ext.len() || process_ahead >= act_ahead || act_ahead >= self.slots {
            return Err(ModelError::Config(format!(
                "external spike over synapse {id}: sent {process_ahead} and acting {act_ahead} steps ahead (of {})",
                self.slots
            )));
        }
        self.ext_queue
            .entry(self.step + process_ahead as u64)
            .or_default()
            .push((id, t_spike, act_ahead - process_ahead));
        Ok(())
    }

    /// Poisson background of `rate_hz` per neuron of population `pop`.
    pub fn background(
        &mut self,
        pop: usize,
        rate_hz: f64,
        weight: f64,
        delay_ms: f64,
    ) -> Result<(), ModelError> {
        if !(rate_hz.is_finite() && rate_hz >= 0.0) {
            return Err(ModelError::Config(format!(
                "background rate {rate_hz} Hz must be finite and ≥ 0"
            )));
        }
        let d = self.delay_steps(delay_ms)?;
        self.background[pop] = Some((rate_hz * self.h / 1000.0, weight, d));
        Ok(())
    }

    /// As [`background`](Self::background), onto receptor `receptor`
    /// (weights ≥ 0 beyond receptor 0).
    pub fn background_receptor(
        &mut self,
        pop: usize,
        rate_hz: f64,
        weight: f64,
        delay_ms: f64,
        receptor: usize,
    ) -> Result<(), ModelError> {
        self.check_receptor(pop, receptor)?;
        if receptor > 0 && weight < 0.0 {
            return Err(ModelError::Config(format!(
                "background weight {weight} onto receptor {receptor}: it takes weights ≥ 0 only"
            )));
        }
        self.background(pop, rate_hz, weight, delay_ms)?;
        self.background_receptor[pop] = receptor as u16;
        Ok(())
    }

    /// Lets [`inject`](Self::inject) schedule up to `steps` steps ahead
    /// (default 64); call before [`build`](Self::build).
    pub fn reserve_input_horizon(&mut self, steps: usize) {
        self.input_horizon = self.input_horizon.max(steps);
    }

    /// Freezes the connections into delivery order; called before stepping.
    pub fn build(&mut self) {
        let n = self.len();
        let mut p = std::mem::take(&mut self.pending);
        p.sort_by_key(|c| (c.0, c.1));
        self.out_start = vec![0; n + 1];
        for c in &p {
            self.out_start[c.0 as usize + 1] += 1;
        }
        for i in 0..n {
            self.out_start[i + 1] += self.out_start[i];
        }
        self.out_target.extend(p.iter().map(|c| c.1));
        self.out_weight.extend(p.iter().map(|c| c.2));
        self.out_delay.extend(p.iter().map(|c| c.3));
        if p.iter().any(|c| c.5 != 0) {
            self.out_receptor = p.iter().map(|c| c.5).collect();
        }
        self.min_delay_ms = self.h * self.out_delay.iter().copied().min().unwrap_or(1) as f64;
        if self
            .plastic_params
            .iter()
            .any(|s| matches!(s, Synapse::Stdp(_)))
            && self.archives.is_empty()
        {
            self.archives = self
                .pops
                .iter()
                .zip(&self.tau_minus)
                .flat_map(|(pop, &tau)| (0..pop.size).map(move |_| Archive::new(tau)))
                .collect();
        }
        if p.iter().any(|c| c.4 != STATIC) {
            let tics = self.tics;
            self.out_plastic = p
                .iter()
                .map(|c| {
                    if c.4 == STATIC {
                        return STATIC;
                    }
                    let state = self.plastic_params[c.4 as usize].state(c.2);
                    if let SynState::Stdp(s) = &state {
                        // NEST's register_stdp_connection
                        let d = nest_delay_ms(c.3 as u64, tics);
                        self.archives[c.1 as usize].register(s.t_last - d, d);
                    }
                    self.plastic.push((state, c.4));
                    (self.plastic.len() - 1) as u32
                })
                .collect();
        }
        // external STDP synapses after the network's, in connection order
        let mut lag: u64 = 0;
        for (target, weight, delay, k, lag_steps) in std::mem::take(&mut self.ext_pending) {
            let state = self.plastic_params[k as usize].state(weight);
            if let SynState::Stdp(st) = &state {
                let d = nest_delay_ms(delay as u64, self.tics);
                self.archives[target as usize].register(st.t_last - d, d);
            }
            self.plastic.push((state, k));
            self.ext
                .push(((self.plastic.len() - 1) as u32, target, delay));
            lag = lag.max(lag_steps);
        }
        // a late send reads the archive up to its lag further back
        self.min_delay_ms += lag as f64 * self.h;
        let maxd = self
            .out_delay
            .iter()
            .copied()
            .chain(self.background.iter().flatten().map(|b| b.2))
            .max()
            .unwrap_or(1) as usize;
        // external inputs may arrive up to `input_horizon` steps ahead
        self.slots = maxd.max(self.input_horizon).max(64) + 1;
        self.ring = vec![(0.0, 0.0); self.slots * n];
        self.rec_ring = vec![0.0; self.slots * n * self.rec_n];
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.out_target.len()
    }

    /// Every synapse as (source, target, weight, delay in steps), by source
    /// then target (the built order); a `stdp_synapse`'s weight is its
    /// current one.
    pub fn synapses(&self) -> Vec<(u32, u32, f64, u16)> {
        let mut out = Vec::with_capacity(self.out_target.len());
        for s in 0..self.len() {
            for e in self.out_start[s]..self.out_start[s + 1] {
                let w = match self.out_plastic.get(e) {
                    Some(&k) if k != STATIC => match &self.plastic[k as usize].0 {
                        SynState::Stdp(st) => st.weight,
                        SynState::Tsodyks2(_) => self.out_weight[e],
                    },
                    _ => self.out_weight[e],
                };
                out.push((s as u32, self.out_target[e], w, self.out_delay[e]));
            }
        }
        out
    }

    /// Adds `weight` to neuron `target`'s input `delay` steps after the
    /// current step (1 ≤ delay < slots), e.g. from an external generator.
    pub fn inject(&mut self, target: usize, weight: f64, delay: usize) -> Result<(), ModelError> {
        if delay == 0 || delay >= self.slots {
            return Err(ModelError::Config(format!(
                "input delay of {delay} steps is outside 1..{}",
                self.slots
            )));
        }
        let slot = ((self.step as usize + delay) % self.slots) * self.len() + target;
        if weight > 0.0 {
            self.ring[slot].0 += weight;
        } else {
            self.ring[slot].1 += weight;
        }
        Ok(())
    }

    /// As [`inject`](Self::inject), onto receptor `receptor` of neuron
    /// `target` (0: as `inject`; beyond 0 weights ≥ 0 only).
    pub fn inject_receptor(
        &mut self,
        target: usize,
        weight: f64,
        delay: usize,
        receptor: usize,
    ) -> Result<(), ModelError> {
        if receptor == 0 {
            return self.inject(target, weight, delay);
        }
        if delay == 0 || delay >= self.slots {
            return Err(ModelError::Config(format!(
                "input delay of {delay} steps is outside 1..{}",
                self.slots
            )));
        }
        let (b, _) = self.neurons.find(target);
        if receptor > self.neurons.blocks[b].1.extra_receptors() || weight.is_nan() || weight < 0.0
        {
            return Err(ModelError::Config(format!(
                "input of weight {weight} onto receptor {receptor} of neuron {target}: no such receptor, or a negative weight"
            )));
        }
        let slot = ((self.step as usize + delay) % self.slots) * self.len() + target;
        self.rec_ring[slot * self.rec_n + receptor - 1] += weight;
        Ok(())
    }

    /// Background Poisson counts of this step, into the ring slots `delay`
    /// steps ahead (never the current slot), in a fixed order.
    fn draw_background(&mut self) {
        let n = self.len();
        for (pi, bg) in self.background.iter().enumerate() {
            if let Some((lam, w, d)) = *bg {
                if lam <= 0.0 {
                    continue;
                }
                let slot = (self.step as usize + d as usize) % self.slots;
                let pop = &self.pops[pi];
                let small = lam < 10.0;
                let exp_neg = (-lam).exp();
                let pois = Poisson::new(lam).ok();
                for t in pop.first..pop.first + pop.size {
                    let c = if small {
                        poisson_small(&mut self.rng, lam, exp_neg)
                    } else {
                        match &pois {
                            Some(p) => p.sample(&mut self.rng),
                            None => 0.0,
                        }
                    };
                    let r = self.background_receptor[pi] as usize;
                    if c > 0.0 && r > 0 {
                        self.rec_ring[(slot * n + t) * self.rec_n + r - 1] += w * c;
                    } else if c > 0.0 {
                        let e = &mut self.ring[slot * n + t];
                        if w > 0.0 {
                            e.0 += w * c;
                        } else {
                            e.1 += w * c;
                        }
                    }
                }
            }
        }
    }

    /// Spikes of the neurons in `fired` (emitted in the current step) into
    /// the ring, then clears the current slot and advances.
    fn deliver(&mut self, fired: &[u32]) {
        let n = self.len();
        let k = self.step as usize % self.slots;
        self.ring[k * n..(k + 1) * n].fill((0.0, 0.0));
        let rn = self.rec_n;
        if rn > 0 {
            self.rec_ring[k * n * rn..(k + 1) * n * rn].fill(0.0);
        }
        if !self.cur_ring.is_empty() {
            self.cur_ring[k * n..(k + 1) * n].fill(0.0);
        }
        // the time of this step's spikes, for the plastic synapses
        let t_spike = nest_ms(self.step + 1, self.tics);
        if !self.archives.is_empty() {
            // the targets' archives first: NEST updates (and archives)
            // every neuron before it delivers their spikes
            for &s in fired {
                self.archives[s as usize].spike(t_spike, self.min_delay_ms);
            }
        }
        for &s in fired {
            let s = s as usize;
            for e in self.out_start[s]..self.out_start[s + 1] {
                let slot = (self.step as usize + self.out_delay[e] as usize) % self.slots;
                let target = self.out_target[e] as usize;
                let cell = &mut self.ring[slot * n + target];
                let mut w = self.out_weight[e];
                if let Some(&k) = self.out_plastic.get(e) {
                    if k != STATIC {
                        let (state, p) = &mut self.plastic[k as usize];
                        match (state, &self.plastic_params[*p as usize]) {
                            (SynState::Tsodyks2(st), Synapse::Tsodyks2(p)) => {
                                w *= st.spike(p, t_spike)
                            }
                            (SynState::Stdp(st), Synapse::Stdp(p)) => {
                                let d = nest_delay_ms(self.out_delay[e] as u64, self.tics);
                                w = st.send(p, t_spike, d, &mut self.archives[target]);
                            }
                            _ => unreachable!("a state is made from its parameters"),
                        }
                    }
                }
                match self.out_receptor.get(e) {
                    Some(&r) if r > 0 => {
                        self.rec_ring[(slot * n + target) * rn + r as usize - 1] += w;
                    }
                    _ if w > 0.0 => cell.0 += w,
                    _ => cell.1 += w,
                }
            }
        }
        // the external spikes to send in this step, in their order
        if let Some(list) = self.ext_queue.remove(&self.step) {
            for (id, t, ahead) in list {
                let (k, target, delay) = self.ext[id as usize];
                let (state, p) = &mut self.plastic[k as usize];
                let w = match (state, &self.plastic_params[*p as usize]) {
                    (SynState::Stdp(st), Synapse::Stdp(p)) => {
                        let d = nest_delay_ms(delay as u64, self.tics);
                        st.send(p, t, d, &mut self.archives[target as usize])
                    }
                    _ => unreachable!("external synapses are stdp_synapses"),
                };
                let slot = (self.step as usize + ahead) % self.slots;
                let cell = &mut self.ring[slot * n + target as usize];
                if w > 0.0 {
                    cell.0 += w;
                } else {
                    cell.1 += w;
                }
            }
        }
        self.step += 1;
    }

    /// `steps` steps with the neuron update split over `threads` threads
    /// (contiguous blocks of neurons); `on_step(step, fired)` sees each
    /// step's spikes. Identical results for any thread count: random draws
    /// and spike delivery stay on this thread, in the serial order.
    pub fn run(&mut self, steps: usize, threads: usize, mut on_step: impl FnMut(u64, &[u32])) {
        self.run_observed(steps, threads, |st, fired, _| on_step(st, fired));
    }

    /// As [`run`](Self::run), the callback also seeing the neurons after
    /// each step (e.g. to record membrane potentials); the neurons it sees
    /// are current only with one thread (with several, their state is
    /// gathered at the end of the call).
    pub fn run_observed(
        &mut self,
        steps: usize,
        threads: usize,
        mut on_step: impl FnMut(u64, &[u32], &Neurons),
    ) {
        let n = self.len();
        let threads = threads.clamp(1, n.max(1));
        if threads == 1 || steps < 4 {
            for _ in 0..steps {
                let st = self.step;
                let fired = self.step().to_vec();
                on_step(st, &fired, &self.neurons);
            }
            return;
        }
        let bounds: Vec<usize> = (0..=threads).map(|t| t * n / threads).collect();
        let mut parts: Vec<Neurons> = (0..threads)
            .map(|t| self.neurons.take_range(bounds[t]..bounds[t + 1]))
            .collect();
        let barrier = crate::sync::SpinBarrier::new(threads);
        let ring = RingPtr(self.ring.as_ptr(), self.ring.len());
        let cur_ring = CurPtr(self.cur_ring.as_ptr(), self.cur_ring.len());
        let rec_ring = CurPtr(self.rec_ring.as_ptr(), self.rec_ring.len());
        let rn = self.rec_n;
        let slots = self.slots;
        let step0 = self.step;
        let outs: Vec<std::sync::Mutex<Vec<u32>>> = (0..threads)
            .map(|_| std::sync::Mutex::new(vec![]))
            .collect();
        {
            let (mine, others) = parts.split_at_mut(1);
            let outs = &outs;
            std::thread::scope(|sc| {
                for (t, part) in others.iter_mut().enumerate() {
                    let t = t + 1;
                    let (lo, barrier, ring, cur_ring, rec_ring) =
                        (bounds[t], &barrier, &ring, &cur_ring, &rec_ring);
                    sc.spawn(move || {
                        for s in 0..steps {
                            let k = (step0 as usize + s) % slots;
                            // SAFETY: during the neuron phase this thread reads
                            // only its block of the current slot; the main
                            // thread writes other slots (background, delays ≥ 1).
                            let syn = unsafe { ring.slice(k * n + lo, part.len()) };
                            {
                                let mut out = outs[t].lock().unwrap_or_else(|e| e.into_inner());
                                out.clear();
                                let cur = unsafe { cur_ring.slice(k * n + lo, part.len()) };
                                let rec =
                                    unsafe { rec_ring.slice((k * n + lo) * rn, part.len() * rn) };
                                part.step(syn, rec.unwrap_or(&[]), rn, cur, &mut out);
                                for f in out.iter_mut() {
                                    *f += lo as u32;
                                }
                            }
                            barrier.wait(); // neuron phase done
                            barrier.wait(); // delivery done
                        }
                    });
                }
                let mut all = vec![];
                for s in 0..steps {
                    let k = (step0 as usize + s) % slots;
                    self.draw_background();
                    let part = &mut mine[0];
                    // SAFETY: as above, block 0 of the current slot
                    let syn = unsafe { ring.slice(k * n, part.len()) };
                    all.clear();
                    let cur = unsafe { cur_ring.slice(k * n, part.len()) };
                    let rec = unsafe { rec_ring.slice(k * n * rn, part.len() * rn) };
                    part.step(syn, rec.unwrap_or(&[]), rn, cur, &mut all);
                    barrier.wait();
                    for o in &outs[1..] {
                        all.extend_from_slice(&o.lock().unwrap_or_else(|e| e.into_inner()));
                    }
                    let st = self.step;
                    self.deliver(&all);
                    on_step(st, &all, &self.neurons);
                    barrier.wait();
                }
            });
        }
        for (t, part) in parts.iter().enumerate() {
            self.neurons.put_range(bounds[t], part);
        }
    }

    /// Adds `current` pA to neuron `target`'s current input arriving
    /// `ahead` steps after the current one (0 ≤ ahead < slots): it takes
    /// effect from the step after its arrival, as a NEST CurrentEvent.
    pub fn inject_current(
        &mut self,
        target: usize,
        current: f64,
        ahead: usize,
    ) -> Result<(), ModelError> {
        if ahead >= self.slots {
            return Err(ModelError::Config(format!(
                "current input {ahead} steps ahead is beyond {}",
                self.slots
            )));
        }
        if !current.is_finite() {
            return Err(ModelError::Config(format!(
                "current input {current} pA is not finite"
            )));
        }
        if self.cur_ring.is_empty() {
            self.cur_ring = vec![0.0; self.slots * self.len()];
        }
        let slot = ((self.step as usize + ahead) % self.slots) * self.len() + target;
        self.cur_ring[slot] += current;
        Ok(())
    }

    /// Steps done.
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// One step: background, input, neurons, spike delivery. Returns the
    /// ids of the neurons that fired (their spikes are stamped
    /// `(steps_done + 1)·h` after this call... i.e. at the end of the step).
    pub fn step(&mut self) -> &[u32] {
        let n = self.len();
        let k = self.step as usize % self.slots;
        self.draw_background();
        self.fired.clear();
        {
            let syn = &self.ring[k * n..(k + 1) * n];
            let rn = self.rec_n;
            let rec = &self.rec_ring[k * n * rn..(k + 1) * n * rn];
            let cur = (!self.cur_ring.is_empty()).then(|| &self.cur_ring[k * n..(k + 1) * n]);
            self.neurons.step(syn, rec, rn, cur, &mut self.fired);
        }
        let fired = std::mem::take(&mut self.fired);
        self.deliver(&fired);
        self.fired = fired;
        &self.fired
    }
}

/// The ring buffer, shared read-only with the neuron threads of `run`.
struct RingPtr(*const (f64, f64), usize);

// SAFETY: see `Network::run`: the threads read disjoint blocks of the
// current slot while the owner writes only other slots.
unsafe impl Send for RingPtr {}
unsafe impl Sync for RingPtr {}

impl RingPtr {
    /// # Safety
    /// No thread may write `start..start + len` while the slice lives.
    unsafe fn slice(&self, start: usize, len: usize) -> &[(f64, f64)] {
        assert!(start + len <= self.1, "ring range");
        unsafe { std::slice::from_raw_parts(self.0.add(start), len) }
    }
}

/// The current ring, shared read-only with the neuron threads of `run`.
struct CurPtr(*const f64, usize);

// SAFETY: as `RingPtr`.
unsafe impl Send for CurPtr {}
unsafe impl Sync for CurPtr {}

impl CurPtr {
    /// `None` when no current was ever injected.
    ///
    /// # Safety
    /// No thread may write `start..start + len` while the slice lives.
    unsafe fn slice(&self, start: usize, len: usize) -> Option<&[f64]> {
        if self.1 == 0 {
            return None;
        }
        assert!(start + len <= self.1, "current ring range");
        Some(unsafe { std::slice::from_raw_parts(self.0.add(start), len) })
    }
}

#[path = "network_state.rs"]
mod state;
pub use state::{NetworkState, NeuronVar};

#[path = "network_steer.rs"]
mod steer;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamSet;
    use crate::spiking::{aeif_cond_exp, iaf_cond_alpha, iaf_psc_alpha, Tsodyks2};

    /// Three populations of different models and parameters, recurrently
    /// connected with weights of both signs.
    fn mixed(seed: u64) -> Network {
        let mut net = mixed_unbuilt(seed);
        net.build();
        net
    }

    /// As [`mixed`], before `build`.
    fn mixed_unbuilt(seed: u64) -> Network {
        let psc = |i_e: f64| {
            iaf_psc_alpha::IafPscAlpha::new(
                1,
                &ParamSet::from_overrides("iaf_psc_alpha", iaf_psc_alpha::PARAMS, [("I_e", i_e)])
                    .unwrap(),
                0.1,
            )
            .unwrap()
        };
        let (quiet, driven) = (psc(0.0), psc(400.0));
        let aeif = aeif_cond_exp::AeifCondExp::new(
            1,
            &ParamSet::from_overrides("aeif_cond_exp", aeif_cond_exp::PARAMS, [("I_e", 800.0)])
                .unwrap(),
            0.1,
        )
        .unwrap();
        let cond =
            iaf_cond_alpha::IafCondAlpha::new(1, &ParamSet::defaults(iaf_cond_alpha::PARAMS), 0.1)
                .unwrap();
        let pops: Vec<(String, usize)> = ["quiet", "driven", "aeif", "cond"]
            .iter()
            .map(|n| (n.to_string(), 7))
            .collect();
        let mut net =
            Network::with_templates(&pops, &[&quiet, &driven, &aeif, &cond], 0.1, seed).unwrap();
        net.connect(1, 3, Rule::FixedIndegree(3), 5.0, 1.0).unwrap();
        net.connect(2, 1, Rule::OneToOne, -30.0, 1.5).unwrap();
        net.connect(1, 2, Rule::FixedOutdegree(2), 2.0, 0.7)
            .unwrap();
        net
    }

    #[test]
    fn populations_keep_their_own_models_and_parameters_on_any_thread_count() {
        let run = |threads: usize| {
            let mut net = mixed(3);
            let mut spikes = vec![];
            net.run(400, threads, |st, fired| {
                spikes.extend(fired.iter().map(|&f| (st, f)))
            });
            let vm: Vec<u64> = (0..net.len())
                .map(|i| net.neurons().v_m(i).to_bits())
                .collect();
            (spikes, vm)
        };
        let (spikes, vm) = run(1);
        // the quiet population rests at E_L = −70 mV; the driven one fires
        assert!((0..7).all(|i| vm[i] == (-70.0f64).to_bits()));
        assert!(spikes.iter().any(|&(_, f)| (7..14).contains(&f)));
        assert!(spikes.iter().any(|&(_, f)| (14..21).contains(&f)));
        let net = mixed(3);
        assert_eq!(net.neurons().info(0).name, "iaf_psc_alpha");
        assert_eq!(net.neurons().info(15).name, "aeif_cond_exp");
        assert_eq!(net.neurons().info(27).name, "iaf_cond_alpha");
        for threads in [2, 3, 5] {
            assert_eq!(
                run(threads),
                (spikes.clone(), vm.clone()),
                "{threads} threads"
            );
        }
    }

    #[test]
    fn a_tsodyks2_synapse_that_recovers_at_once_is_a_static_synapse() {
        // U = u = x = 1 and τ_rec → 0: every spike finds x = u = 1, the
        // factor x·u is 1 and the network is the static one to the bit;
        // with depression the same network differs
        let run_on = |syn: Option<Tsodyks2>, threads: usize| {
            let mut net = mixed_unbuilt(5);
            net.connect_synapse(
                1,
                0,
                Rule::FixedIndegree(4),
                Dist::Constant(300.0),
                Dist::Constant(1.2),
                syn.map(Synapse::Tsodyks2),
            )
            .unwrap();
            net.build();
            let mut spikes = vec![];
            net.run(600, threads, |st, fired| {
                spikes.extend(fired.iter().map(|&f| (st, f)))
            });
            let vm: Vec<u64> = (0..7).map(|i| net.neurons().v_m(i).to_bits()).collect();
            (spikes, vm)
        };
        let run = |syn: Option<Tsodyks2>| run_on(syn, 1);
        let instant =
            Tsodyks2::from_overrides([("U", 1.0), ("u", 1.0), ("tau_rec", 1e-9)]).unwrap();
        let still = run(None);
        assert!(
            still.0.iter().any(|&(_, f)| f < 7),
            "the quiet population fires"
        );
        assert_eq!(run(Some(instant)), still);
        let depressing =
            Tsodyks2::from_overrides([("U", 0.5), ("u", 0.5), ("tau_rec", 500.0)]).unwrap();
        let depressed = run(Some(depressing));
        assert_ne!(depressed.1, still.1);
        // the states are updated in delivery, on one thread: any thread
        // count gives the same bits
        assert_eq!(run_on(Some(depressing), 3), depressed);
    }

    #[test]
    fn rules_pair_sources_and_targets_as_nest() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        assert_eq!(
            Rule::OneToOne.pairs(3, 3, &mut rng).unwrap(),
            vec![(0, 0), (1, 1), (2, 2)]
        );
        assert!(Rule::OneToOne.pairs(2, 3, &mut rng).is_err());
        let out = Rule::FixedOutdegree(4).pairs(5, 9, &mut rng).unwrap();
        assert_eq!(out.len(), 20);
        for s in 0..5 {
            assert_eq!(out.iter().filter(|p| p.0 == s).count(), 4);
        }
        let inn = Rule::FixedIndegree(4).pairs(5, 9, &mut rng).unwrap();
        for t in 0..9 {
            assert_eq!(inn.iter().filter(|p| p.1 == t).count(), 4);
        }
        assert_eq!(Rule::AllToAll.pairs(2, 3, &mut rng).unwrap().len(), 6);
    }

    #[test]
    fn pairwise_bernoulli_and_the_distributions_draw_what_nest_draws() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(2);
        // every pair with p: 200 × 200 pairs at p = 0.1 give 4000 ± 60
        // (binomial sd √(40000·0.1·0.9)); within 4 sd, no pair twice
        let pairs = Rule::PairwiseBernoulli(0.1)
            .pairs(200, 200, &mut rng)
            .unwrap();
        assert!(
            (pairs.len() as f64 - 4000.0).abs() < 240.0,
            "{}",
            pairs.len()
        );
        let mut unique = pairs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), pairs.len());
        assert!(Rule::PairwiseBernoulli(0.0)
            .pairs(50, 50, &mut rng)
            .unwrap()
            .is_empty());
        assert_eq!(
            Rule::PairwiseBernoulli(1.0)
                .pairs(5, 7, &mut rng)
                .unwrap()
                .len(),
            35
        );
        assert!(Rule::PairwiseBernoulli(1.5).pairs(5, 7, &mut rng).is_err());
        // NEST's normal and uniform weight/delay distributions: sample mean
        // and sd of 40 000 draws within 4 standard errors
        let n = 40_000;
        let draws = |d: Dist, rng: &mut rand::rngs::SmallRng| -> Vec<f64> {
            (0..n).map(|_| d.sample(rng)).collect()
        };
        let moments = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / x.len() as f64;
            (m, v.sqrt())
        };
        let normal = draws(
            Dist::Normal {
                mean: 20.0,
                std: 2.0,
            },
            &mut rng,
        );
        let (m, sd) = moments(&normal);
        assert!((m - 20.0).abs() < 4.0 * 2.0 / (n as f64).sqrt(), "mean {m}");
        assert!(
            (sd - 2.0).abs() < 4.0 * 2.0 / (2.0 * n as f64).sqrt(),
            "sd {sd}"
        );
        let uniform = draws(
            Dist::Uniform {
                low: 1.0,
                high: 2.0,
            },
            &mut rng,
        );
        assert!(uniform.iter().all(|&x| (1.0..2.0).contains(&x)));
        let (m, sd) = moments(&uniform);
        let sd_u = (1.0f64 / 12.0).sqrt();
        assert!((m - 1.5).abs() < 4.0 * sd_u / (n as f64).sqrt(), "mean {m}");
        assert!((sd - sd_u).abs() < 0.01, "sd {sd}");
        assert_eq!(Dist::Constant(3.5).sample(&mut rng), 3.5);
        assert!(Dist::Uniform {
            low: 2.0,
            high: 1.0
        }
        .check("w")
        .is_err());
        assert!(Dist::Normal {
            mean: 0.0,
            std: -1.0
        }
        .check("w")
        .is_err());
    }
}
