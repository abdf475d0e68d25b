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
            ring: self.ring.iter().flat_map(|(e, i)| [*e, *i]).collect(),
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
        if st.ring.len() != 2 * self.ring.len() || st.cur_ring.len() != self.cur_ring.len() {
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
        for (r, v) in self.ring.iter_mut().zip(st.ring.chunks_exact(2)) {
            *r = (v[0], v[1]);
        }
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
