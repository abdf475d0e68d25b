//! The network's checkpoint: everything its later steps depend on besides
//! its structure (which the same graph and seed rebuild): the step, every
//! neuron's state variables, the ring buffers of queued input (spikes and
//! currents already scheduled for later steps), the neurons fired in the
//! last step, the random generator (background drive), and the plastic
//! synapses' states with the STDP spike archives.

use super::{Network, SynState};
use crate::error::ModelError;
use crate::spiking::neuron::StateSlice;

/// [`Network::save_state`]'s plain data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkState {
    pub step: u64,
    /// per population block, per state variable: its values (u32 ones as f64 bits of u64)
    pub neurons: Vec<Vec<NeuronVar>>,
    /// excitatory, inhibitory input per slot and neuron, flattened
    pub ring: Vec<f64>,
    pub cur_ring: Vec<f64>,
    pub fired: Vec<u32>,
    pub rng: [u64; 4],
    /// per plastic synapse: its state's values (tsodyks2: u, x, t_last;
    /// stdp: weight, K⁺, t_last)
    pub plastic: Vec<[f64; 3]>,
    /// per neuron with an archive: n_incoming, max_delay, K⁻, last spike, history
    #[allow(clippy::type_complexity)]
    pub archives: Vec<(u32, f64, f64, f64, Vec<(f64, f64, u32)>)>,
}

/// One state variable of a block of neurons.
#[derive(Debug, Clone, PartialEq)]
pub enum NeuronVar {
    F64(Vec<f64>),
    U32(Vec<u32>),
}

fn mismatch(what: &str) -> ModelError {
    ModelError::Config(format!(
        "the saved network's {what} does not fit this network: not the same graph"
    ))
}

impl Network {
    /// The state between two steps ([`NetworkState`]); an error names a
    /// neuron model that cannot give its state.
    pub fn save_state(&mut self) -> Result<NetworkState, ModelError> {
        let mut neurons = vec![];
        for (_, b) in self.neurons.blocks.iter_mut() {
            let name = b.info().name;
            let vars = b.state().ok_or_else(|| {
                ModelError::Config(format!(
                    "neuron model `{name}` cannot save its state (checkpoints)"
                ))
            })?;
            neurons.push(
                vars.into_iter()
                    .map(|v| match v {
                        StateSlice::F64(x) => NeuronVar::F64(x.to_vec()),
                        StateSlice::U32(x) => NeuronVar::U32(x.to_vec()),
                    })
                    .collect(),
            );
        }
        Ok(NetworkState {
            step: self.step,
            neurons,
            // (excitatory, inhibitory) pairs, then the further receptors'
            // ring (empty without such receptors)
            ring: self
                .ring
                .iter()
                .flat_map(|(e, i)| [*e, *i])
                .chain(self.rec_ring.iter().copied())
                .collect(),
            cur_ring: self.cur_ring.clone(),
            fired: self.fired.clone(),
            rng: self.rng.state(),
            plastic: self
                .plastic
                .iter()
                .map(|(s, _)| match s {
                    SynState::Tsodyks2(t) => [t.u, t.x, t.t_last],
                    SynState::Stdp(t) => [t.weight, t.k_plus, t.t_last],
                })
                .collect(),
            archives: self.archives.iter().map(|a| a.saved()).collect(),
        })
    }

    /// Continues from a state [`save_state`](Self::save_state) returned by
    /// a network built from the same graph and seed.
    pub fn restore_state(&mut self, st: &NetworkState) -> Result<(), ModelError> {
        if st.neurons.len() != self.neurons.blocks.len() {
            return Err(mismatch("populations"));
        }
        if st.ring.len() != 2 * self.ring.len() + self.rec_ring.len()
            || st.cur_ring.len() != self.cur_ring.len()
        {
            return Err(mismatch("input buffers"));
        }
        if st.plastic.len() != self.plastic.len() || st.archives.len() != self.archives.len() {
            return Err(mismatch("plastic synapses"));
        }
        for ((_, b), saved) in self.neurons.blocks.iter_mut().zip(&st.neurons) {
            let name = b.info().name;
            let vars = b.state().ok_or_else(|| {
                ModelError::Config(format!("neuron model `{name}` cannot restore its state"))
            })?;
            if vars.len() != saved.len() {
                return Err(mismatch("neuron state"));
            }
            for (v, s) in vars.into_iter().zip(saved) {
                match (v, s) {
                    (StateSlice::F64(x), NeuronVar::F64(y)) if x.len() == y.len() => {
                        x.copy_from_slice(y)
                    }
                    (StateSlice::U32(x), NeuronVar::U32(y)) if x.len() == y.len() => {
                        x.copy_from_slice(y)
                    }
                    _ => return Err(mismatch("neuron state")),
                }
            }
        }
        let (pairs, rec) = st.ring.split_at(2 * self.ring.len());
        for (r, v) in self.ring.iter_mut().zip(pairs.chunks_exact(2)) {
            *r = (v[0], v[1]);
        }
        self.rec_ring.copy_from_slice(rec);
        self.cur_ring.copy_from_slice(&st.cur_ring);
        self.fired = st.fired.clone();
        self.rng = crate::saved_rng::Xoshiro256pp::from_state(st.rng);
        for ((s, _), v) in self.plastic.iter_mut().zip(&st.plastic) {
            match s {
                SynState::Tsodyks2(t) => (t.u, t.x, t.t_last) = (v[0], v[1], v[2]),
                SynState::Stdp(t) => (t.weight, t.k_plus, t.t_last) = (v[0], v[1], v[2]),
            }
        }
        for (a, (n, d, k, l, h)) in self.archives.iter_mut().zip(&st.archives) {
            a.restore(*n, *d, *k, *l, h);
        }
        self.step = st.step;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Dist, Network, Rule};
    use crate::params::ParamSet;
    use crate::spiking::{aeif_cond_exp, iaf_cond_alpha, iaf_psc_alpha, Stdp, Synapse, Tsodyks2};

    /// Three models, Poisson background, a depressing tsodyks2 and an
    /// stdp projection: the same network built again from its seed.
    fn network() -> Network {
        let psc = iaf_psc_alpha::IafPscAlpha::new(
            1,
            &ParamSet::from_overrides("iaf_psc_alpha", iaf_psc_alpha::PARAMS, [("I_e", 300.0)])
                .unwrap(),
            0.1,
        )
        .unwrap();
        let aeif = aeif_cond_exp::AeifCondExp::new(
            1,
            &ParamSet::from_overrides("aeif_cond_exp", aeif_cond_exp::PARAMS, [("I_e", 700.0)])
                .unwrap(),
            0.1,
        )
        .unwrap();
        let cond =
            iaf_cond_alpha::IafCondAlpha::new(1, &ParamSet::defaults(iaf_cond_alpha::PARAMS), 0.1)
                .unwrap();
        let pops: Vec<(String, usize)> = ["psc", "aeif", "cond"]
            .iter()
            .map(|n| (n.to_string(), 12))
            .collect();
        let mut net = Network::with_templates(&pops, &[&psc, &aeif, &cond], 0.1, 7).unwrap();
        let depressing =
            Tsodyks2::from_overrides([("U", 0.5), ("u", 0.5), ("tau_rec", 300.0)]).unwrap();
        net.connect_synapse(
            0,
            2,
            Rule::FixedIndegree(4),
            Dist::Constant(8.0),
            Dist::Constant(1.2),
            Some(Synapse::Tsodyks2(depressing)),
        )
        .unwrap();
        let stdp = Stdp::from_overrides([("Wmax", 400.0)]).unwrap();
        net.connect_synapse(
            0,
            0,
            Rule::FixedIndegree(3),
            Dist::Constant(50.0),
            Dist::Constant(1.5),
            Some(Synapse::Stdp(stdp)),
        )
        .unwrap();
        net.connect(1, 0, Rule::FixedIndegree(3), 40.0, 0.8)
            .unwrap();
        net.background(0, 8000.0, 20.0, 0.1).unwrap();
        net.background(2, 2000.0, 5.0, 0.1).unwrap();
        net.build();
        net
    }

    fn run(net: &mut Network, steps: usize) -> (Vec<(u64, u32)>, Vec<u64>) {
        let mut spikes = vec![];
        net.run(steps, 1, |st, fired| {
            spikes.extend(fired.iter().map(|&f| (st, f)))
        });
        let vm = (0..36).map(|i| net.neurons().v_m(i).to_bits()).collect();
        (spikes, vm)
    }

    /// A network restored from a state saved after 400 steps gives, over
    /// the next 600, the spikes and membrane potentials of the network that
    /// went on (queued spikes, generator, plastic states included).
    #[test]
    fn a_restored_network_goes_on_to_the_bit() {
        let mut a = network();
        run(&mut a, 400);
        let st = a.save_state().unwrap();
        // 48 tsodyks2 + 36 stdp synapses, the stdp ones have learned, the
        // archives hold spikes, spikes are queued
        assert_eq!(st.plastic.len(), 84);
        assert!(st.plastic.iter().any(|p| p[0] != 50.0 && p[0] > 1.0));
        assert!(st.archives.iter().any(|a| !a.4.is_empty()));
        assert!(st.ring.iter().any(|x| *x != 0.0));
        let mut b = network();
        b.restore_state(&st).unwrap();
        assert_eq!(b.save_state().unwrap(), st);
        let (sa, va) = run(&mut a, 600);
        let (sb, vb) = run(&mut b, 600);
        assert!(sa.len() > 50, "it fires: {}", sa.len());
        assert_eq!(sa, sb);
        assert_eq!(va, vb);
        assert_eq!(a.save_state().unwrap(), b.save_state().unwrap());
        // a fresh network, not restored, differs
        let mut c = network();
        run(&mut c, 400);
        let mut d = network();
        assert_ne!(run(&mut d, 600).0, sa);
    }
}
